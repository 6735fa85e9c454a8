#include "server/accept_backoff.h"

#include <gtest/gtest.h>

#include "server/open_file_limit.h"

namespace telecollect::server {
namespace {

TEST(AcceptBackoff, DoublesFromTenMillisecondsToOneSecondAndResets) {
  AcceptBackoff b;
  std::vector<int64_t> pauses;
  for (int i = 0; i < 9; ++i) pauses.push_back(b.Failed().count());
  EXPECT_EQ(pauses, (std::vector<int64_t>{10, 20, 40, 80, 160, 320, 640, 1000, 1000}));
  b.Succeeded();
  EXPECT_EQ(b.Failed().count(), 10);
}

TEST(OpenFileLimit, RaisedToTheHardLimitAndHalvedForConnections) {
  const uint64_t soft = RaiseOpenFileLimit();
  EXPECT_GT(soft, 0u);
  EXPECT_EQ(RaiseOpenFileLimit(), soft);  // already at the hard limit
  EXPECT_EQ(AutoMaxConnections(1024), 512u);
  EXPECT_EQ(AutoMaxConnections(1048576), 4096u);
  EXPECT_EQ(AutoMaxConnections(1), 1u);
}

}  // namespace
}  // namespace telecollect::server
