// The decode-worker protocol and sandbox (worker_protocol.h, worker_pool.h,
// worker_sandbox.h): real worker processes, started from this test binary.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <vector>
#include <thread>

#include "decode/script/worker_pool.h"
#include "decode/script/worker_protocol.h"

namespace telecollect::decode::worker {
namespace {

TEST(WorkerProtocolTest, RequestsAndResponsesRoundTrip) {
  Request r;
  r.op = Op::kDecode;
  r.decoder_id = 0x1122334455667788ull;
  r.name = "x.js";
  r.source = "function decodeUplink(){}";
  r.bytes = std::string("\x00\xff\x10", 3);
  r.fport = 85;
  r.received_at = -5;
  r.max_output_bytes = 777;
  auto back = DecodeRequest(EncodeRequest(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->decoder_id, r.decoder_id);
  EXPECT_EQ(back->name, r.name);
  EXPECT_EQ(back->source, r.source);
  EXPECT_EQ(back->bytes, r.bytes);
  EXPECT_EQ(back->fport, 85);
  EXPECT_EQ(back->received_at, -5);
  EXPECT_EQ(back->max_output_bytes, 777u);
  r.fport.reset();
  EXPECT_FALSE(DecodeRequest(EncodeRequest(r))->fport.has_value());

  auto resp = DecodeResponse(EncodeResponse({Code::kNeedSource, "t"}));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->code, Code::kNeedSource);
  EXPECT_EQ(resp->text, "t");
}

TEST(WorkerProtocolTest, RefusesTruncatedTrailingAndUnknownMessages) {
  Request r;
  r.name = "n";
  const std::string good = EncodeRequest(r);
  EXPECT_FALSE(DecodeRequest(good.substr(0, good.size() - 1)).ok());
  EXPECT_FALSE(DecodeRequest(good + "x").ok());
  std::string bad_op = good;
  bad_op[0] = 9;
  EXPECT_FALSE(DecodeRequest(bad_op).ok());
  EXPECT_FALSE(DecodeResponse(std::string("\x07\0\0\0\0", 5)).ok());
  EXPECT_FALSE(DecodeResponse("").ok());
}

TEST(WorkerProtocolTest, MessagesAreBoundedAndDeadlinesHold) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ASSERT_TRUE(WriteMessage(sv[0], "hello").ok());
  auto got = ReadMessage(sv[1], 16);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "hello");
  // A length over the reader's bound is refused before anything is allocated.
  ASSERT_TRUE(WriteMessage(sv[0], std::string(100, 'x')).ok());
  auto big = ReadMessage(sv[1], 99);
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidArgument);
  // Nothing to read: the deadline passes (kUnavailable), it does not block.
  int fresh[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fresh), 0);
  const auto start = std::chrono::steady_clock::now();
  auto none = ReadMessageUntil(fresh[1], 16, start + std::chrono::milliseconds(50));
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // The peer closed: a clean end of input is kNotFound.
  ::close(fresh[0]);
  EXPECT_EQ(ReadMessage(fresh[1], 16).status().code(), StatusCode::kNotFound);
  for (int fd : {sv[0], sv[1], fresh[1]}) ::close(fd);
}

PoolSettings SmallPool() {
  PoolSettings s;
  s.max_workers = 1;
  s.frame_timeout_ms = 2000;  // generous: a loaded machine must not fail the good cases
  return s;
}

Request DecodeOf(uint64_t id, std::string bytes) {
  Request r;
  r.decoder_id = id;
  r.name = "t.js";
  r.bytes = std::move(bytes);
  r.fport = 1;
  return r;
}

constexpr char kDouble[] = "function decodeUplink(i) { return { data: { v: i.bytes[0] * 2 } }; }";

TEST(WorkerPoolTest, DecodesInAWorkerProcessAndKeepsItWarm) {
  WorkerPool pool(SmallPool());
  auto r = pool.Call(DecodeOf(1, "\x05"), kDouble);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->code, Code::kOk) << r->text;
  EXPECT_NE(r->text.find("\"v\":10"), std::string::npos) << r->text;
  auto pids = pool.Pids();
  ASSERT_EQ(pids.size(), 1u);
  EXPECT_NE(pids[0], ::getpid());
  // The second call reuses the process (and its compiled decoder: no source sent).
  auto again = pool.Call(DecodeOf(1, "\x06"), kDouble);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->text.find("\"v\":12"), std::string::npos) << again->text;
  EXPECT_EQ(pool.Pids(), pids);
}

// What a worker that is asked to make a forbidden system call becomes.
void ExpectProbeKilled(const char* syscall) {
  WorkerPool pool(SmallPool());
  Request r = DecodeOf(2, "");
  r.op = Op::kProbe;
  r.name = syscall;
  // Start the worker first (the probe is sent to a running, sandboxed worker).
  ASSERT_TRUE(pool.Call(DecodeOf(1, "\x01"), kDouble).ok());
  auto probe = pool.Call(r, "");
  ASSERT_FALSE(probe.ok()) << syscall << " was allowed: " << probe->text;
  EXPECT_NE(probe.status().message().find("system call the decoder sandbox forbids"), std::string::npos)
      << syscall << ": " << probe.status().ToString();
  EXPECT_TRUE(pool.Pids().empty());
  // The next frame gets a new worker.
  auto next = pool.Call(DecodeOf(1, "\x02"), kDouble);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_NE(next->text.find("\"v\":4"), std::string::npos);
}

TEST(WorkerSandboxTest, OpenIsKilledBySeccomp) { ExpectProbeKilled("open"); }
TEST(WorkerSandboxTest, SocketIsKilledBySeccomp) { ExpectProbeKilled("socket"); }
TEST(WorkerSandboxTest, ForkIsKilledBySeccomp) { ExpectProbeKilled("fork"); }

TEST(WorkerPoolTest, AnEndlessLoopIsKilledAtTheDeadlineAndTheWorkerReplaced) {
  PoolSettings s = SmallPool();
  s.frame_timeout_ms = 200;
  WorkerPool pool(s);
  ASSERT_TRUE(pool.Call(DecodeOf(1, "\x01"), kDouble).ok());  // started (start-up is not a frame's time)
  const pid_t first = pool.Pids().at(0);
  const auto start = std::chrono::steady_clock::now();
  auto r = pool.Call(DecodeOf(3, ""), "function decodeUplink() { for (;;) {} }");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ran longer than its 200 ms limit"), std::string::npos) << r.status().ToString();
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_EQ(::kill(first, 0), -1);  // gone (reaped)
  auto next = pool.Call(DecodeOf(1, "\x03"), kDouble);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_NE(next->text.find("\"v\":6"), std::string::npos);
}

TEST(WorkerPoolTest, NativeCopiesHitTheMemoryLimitNotTheMachine) {
  PoolSettings s = SmallPool();
  s.worker.heap_bytes = 64u << 20;
  s.frame_timeout_ms = 5000;
  WorkerPool pool(s);
  const char* hostile[] = {
      "function decodeUplink() { var b = new ArrayBuffer(1 << 30); return { data: { n: b.slice(0).byteLength } }; }",
      ("function decodeUplink() { var a = new Uint8Array(256 << 20); var b = new Uint8Array(1 << 30); b.set(a);"
       " return { data: { n: b.length } }; }"),
      "function decodeUplink() { var s = 'x'.repeat(1 << 29); return { data: { n: s.indexOf('y') } }; }",
      "function decodeUplink() { var a = []; for (;;) a.push(new Float64Array(1 << 20)); }",
      "function decodeUplink() { var s = 'abcdefgh'; for (;;) s = s + s; }",
  };
  uint64_t id = 10;
  for (const char* src : hostile) {
    auto r = pool.Call(DecodeOf(id++, ""), src);
    const std::string what = r.ok() ? r->text : r.status().message();
    EXPECT_TRUE(!r.ok() || r->code == Code::kError) << src << ": " << what;
    EXPECT_NE(what.find("memory"), std::string::npos) << src << ": " << what;
    std::printf("%s\n  -> %s\n", src, what.c_str());
    auto good = pool.Call(DecodeOf(1, "\x04"), kDouble);
    ASSERT_TRUE(good.ok()) << good.status().ToString();
    EXPECT_NE(good->text.find("\"v\":8"), std::string::npos) << good->text;
  }
}

// A caller with a deadline of its own (a push's decode budget) stops waiting
// at it; the frame goes on in its worker under the frame's own limit.
Deadline Soon() { return std::chrono::steady_clock::now() + std::chrono::milliseconds(50); }

// Busy for 3 s of wall clock, then answers: far past the caller's 50 ms,
// far within the frame's limit (20 s of CPU).
constexpr char kSlow[] =
    "function decodeUplink(i) { var t = Date.now(); while (Date.now() - t < 3000) {} return { data: { v: 7 } }; }";

TEST(WorkerPoolTest, ASlowFrameOutlivesItsCallersDeadlineAndKeepsItsWorker) {
  PoolSettings s = SmallPool();
  s.frame_timeout_ms = 20000;
  WorkerPool pool(s);
  ASSERT_TRUE(pool.Call(DecodeOf(1, "\x01"), kDouble).ok());  // started (start-up is not a frame's time)
  const auto pids = pool.Pids();
  auto r = pool.Call(DecodeOf(4, ""), kSlow, Soon());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("decoding time ran out"), std::string::npos) << r.status().ToString();
  // Not killed for it: the same process is running the frame, and serves the next one
  // (which waits for it, the pool having one worker).
  EXPECT_EQ(pool.Pids(), pids);
  EXPECT_EQ(::kill(pids.at(0), 0), 0);
  auto next = pool.Call(DecodeOf(1, "\x05"), kDouble);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_NE(next->text.find("\"v\":10"), std::string::npos) << next->text;
  EXPECT_EQ(pool.Pids(), pids);
  // The slow decoder was compiled by the finisher's frame: it runs again without its source.
  auto again = pool.Call(DecodeOf(4, ""), "", std::nullopt);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_NE(again->text.find("\"v\":7"), std::string::npos) << again->text;
}

TEST(WorkerPoolTest, AnEndlessLoopPastItsCallersDeadlineIsStillKilledAtItsLimit) {
  PoolSettings s = SmallPool();
  s.frame_timeout_ms = 200;
  WorkerPool pool(s);
  ASSERT_TRUE(pool.Call(DecodeOf(1, "\x01"), kDouble).ok());
  const pid_t first = pool.Pids().at(0);
  auto r = pool.Call(DecodeOf(3, ""), "function decodeUplink() { for (;;) {} }", Soon());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  // The next call gets the slot once the finisher killed the worker at the frame's limit.
  auto next = pool.Call(DecodeOf(1, "\x03"), kDouble);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_NE(next->text.find("\"v\":6"), std::string::npos);
  EXPECT_EQ(::kill(first, 0), -1);  // killed and reaped
  EXPECT_NE(pool.Pids().at(0), first);
}

TEST(WorkerPoolTest, AWorkerStillStartingAtTheCallersDeadlineIsStartedAnyway) {
  WorkerPool pool(SmallPool());
  // A deadline already past: the worker cannot have said "ready" yet.
  auto r = pool.Call(DecodeOf(1, "\x01"), kDouble, std::chrono::steady_clock::now());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("still starting"), std::string::npos) << r.status().ToString();
  const auto pids = pool.Pids();
  ASSERT_EQ(pids.size(), 1u);
  auto next = pool.Call(DecodeOf(1, "\x02"), kDouble);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_NE(next->text.find("\"v\":4"), std::string::npos);
  EXPECT_EQ(pool.Pids(), pids);  // the one started for the first call
}

TEST(WorkerPoolTest, APoolEndsWithAFrameStillHandedOff) {
  pid_t worker = 0;
  {
    PoolSettings s = SmallPool();
    s.frame_timeout_ms = 200;
    WorkerPool pool(s);
    ASSERT_TRUE(pool.Call(DecodeOf(1, "\x01"), kDouble).ok());
    worker = pool.Pids().at(0);
    auto r = pool.Call(DecodeOf(3, ""), "function decodeUplink() { for (;;) {} }", Soon());
    ASSERT_FALSE(r.ok());
  }  // the destructor waits for the finisher, then ends the workers
  EXPECT_EQ(::kill(worker, 0), -1);
}

}  // namespace
}  // namespace telecollect::decode::worker
