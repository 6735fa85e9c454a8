#include "pull/pacer.h"

#include <gtest/gtest.h>

namespace telecollect::pull {
namespace {

TEST(Pacer, SpacesCallsAndStopsAtTheHourlyQuota) {
  Limits l;
  l.per_second = 5;
  l.per_hour = 3;
  Pacer p(l);
  EXPECT_EQ(*p.Reserve(1000), 0);
  EXPECT_EQ(*p.Reserve(1000), 200);  // 5 per second: 200 ms apart
  EXPECT_EQ(*p.Reserve(1300), 100);
  Result<int64_t> spent = p.Reserve(2000);
  ASSERT_FALSE(spent.ok());
  EXPECT_EQ(spent.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(p.Reserve(1000 + 3600000 + 1).ok());  // an hour later
}

TEST(Pacer, BackoffDoublesWithJitterUpToTheCap) {
  Limits l;
  l.backoff_ms = 1000;
  l.backoff_max_ms = 5000;
  Pacer p(l);
  for (int i = 0; i < 20; ++i) {
    const int64_t d1 = p.Backoff(1), d3 = p.Backoff(3), d9 = p.Backoff(9);
    EXPECT_GE(d1, 500);
    EXPECT_LE(d1, 1000);
    EXPECT_GE(d3, 2000);
    EXPECT_LE(d3, 4000);
    EXPECT_GE(d9, 2500);
    EXPECT_LE(d9, 5000);
  }
}

TEST(RetryAfter, SecondsAndHttpDates) {
  EXPECT_EQ(ParseRetryAfterMs("2", 0), 2000);
  EXPECT_EQ(ParseRetryAfterMs("", 0), -1);
  EXPECT_EQ(ParseRetryAfterMs("soon", 0), -1);
  // Past the int64 range of milliseconds: clamped to a very long delay, never wrapped (pull_headers_fuzz).
  EXPECT_GT(ParseRetryAfterMs("115555555555555555", 0), int64_t{1} << 60);
  EXPECT_GT(ParseRetryAfterMs("9223372036854775807", 0), int64_t{1} << 60);
  const EpochMs now = 784111777000 - 5000;  // 5 s before Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(ParseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", now), 5000);
}

}  // namespace
}  // namespace telecollect::pull
