#include "core/rate_limited_log.h"

#include <gtest/gtest.h>

namespace telecollect {
namespace {

TEST(RateLimitedLogTest, OneLinePerIntervalCountingEveryEvent) {
  RateLimitedLog log("test_refused", 1000);
  EXPECT_TRUE(log.ReportAt(0, {{"reason", "first"}}));
  EXPECT_FALSE(log.ReportAt(10));
  EXPECT_FALSE(log.ReportAt(999));
  EXPECT_TRUE(log.ReportAt(1000));  // the interval has passed: a line for the 3 events since
  EXPECT_FALSE(log.ReportAt(1500));
  EXPECT_TRUE(log.ReportAt(5000));
  EXPECT_EQ(log.total(), 6u);
}

}  // namespace
}  // namespace telecollect
