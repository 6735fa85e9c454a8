#include "files/pipelined_writer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

namespace telecollect::files {
namespace {

// Records what it is given (module names per reading); fails on a chosen chunk;
// slow, so that the parser side runs ahead and waits.
class Recorder final : public ReadingWriter {
 public:
  Status Add(const std::vector<ModuleDef>& modules, std::span<const Reading> readings) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (++chunks == fail_at) return Status::IoError("disk full");
    for (const Reading& r : readings) {
      if (r.module >= modules.size()) return Status::Internal("unknown module");
      got.push_back(modules[r.module].name + "@" + std::to_string(r.ts));
    }
    return Status::Ok();
  }
  int chunks = 0;
  int fail_at = -1;
  std::vector<std::string> got;
};

// Hands over `n` chunks of 3 readings, a new module with each; the chunk
// buffer is reused as the row mapper does.
Status Feed(PipelinedWriter& w, int n, std::vector<std::string>& want) {
  std::vector<ModuleDef> modules;
  std::vector<Reading> chunk;
  for (int c = 0; c < n; ++c) {
    modules.push_back({"m" + std::to_string(c), ""});
    chunk.clear();
    for (int k = 0; k < 3; ++k) {
      const uint32_t module = static_cast<uint32_t>((c + k) % modules.size());
      chunk.push_back({module, c * 10 + k, 1.0});
      want.push_back(modules[module].name + "@" + std::to_string(c * 10 + k));
    }
    Status s = w.Add(modules, chunk);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

TEST(PipelinedWriter, EveryChunkArrivesInOrderWithItsModules) {
  Recorder inner;
  std::vector<std::string> want;
  {
    PipelinedWriter w(inner);
    ASSERT_TRUE(Feed(w, 50, want).ok());
    ASSERT_TRUE(w.Close().ok());
  }
  EXPECT_EQ(inner.got, want);
  EXPECT_EQ(inner.chunks, 50);
}

TEST(PipelinedWriter, AFailureStopsTheFeedAndNothingAfterItIsWritten) {
  Recorder inner;
  inner.fail_at = 3;
  std::vector<std::string> want;
  PipelinedWriter w(inner);
  Status fed = Feed(w, 50, want);
  Status closed = w.Close();
  EXPECT_FALSE(fed.ok());  // a later Add says so
  EXPECT_EQ(closed.code(), StatusCode::kIoError);
  EXPECT_EQ(closed.message(), "disk full");
  EXPECT_EQ(inner.chunks, 3);  // chunks 4.. were never handed to the store
  EXPECT_EQ(inner.got.size(), 6u);
}

TEST(PipelinedWriter, AFailureOnTheLastChunkIsSeenByClose) {
  Recorder inner;
  inner.fail_at = 1;
  std::vector<std::string> want;
  PipelinedWriter w(inner);
  ASSERT_TRUE(Feed(w, 1, want).ok());
  EXPECT_EQ(w.Close().code(), StatusCode::kIoError);
  EXPECT_EQ(w.Close().code(), StatusCode::kIoError);  // again: the same answer
}

TEST(PipelinedWriter, NothingHandedOver) {
  Recorder inner;
  PipelinedWriter w(inner);
  EXPECT_TRUE(w.Close().ok());
  EXPECT_EQ(inner.chunks, 0);
}

}  // namespace
}  // namespace telecollect::files
