#include "schedule/schedule.h"

#include <gtest/gtest.h>

namespace telecollect::schedule {
namespace {

EpochMs T(const char* iso) { return *ParseIso8601(iso); }
std::string Next(const char* spec, const char* after) {
  Result<Schedule> s = Schedule::Parse(spec);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return FormatIso8601(s->Next(T(after)));
}

TEST(Schedule, Every) {
  EXPECT_EQ(Next("every 10m", "2026-11-26T10:03:00Z"), "2026-11-26T10:10:00.000Z");
  EXPECT_EQ(Next("every 10m", "2026-11-26T10:10:00Z"), "2026-11-26T10:20:00.000Z");
  EXPECT_EQ(Next("every 1h", "2026-11-26T10:10:00Z"), "2026-11-26T11:00:00.000Z");
}

TEST(Schedule, HourlyAndDailyInParisTime) {
  EXPECT_EQ(Next("hourly", "2026-11-26T10:10:00Z"), "2026-11-26T11:00:00.000Z");
  EXPECT_EQ(Next("daily 06:30", "2026-11-26T10:10:00Z"), "2026-11-27T05:30:00.000Z");  // CET
  EXPECT_EQ(Next("daily 06:30", "2026-07-01T00:00:00Z"), "2026-07-01T04:30:00.000Z");  // CEST
}

TEST(Schedule, CronFields) {
  EXPECT_EQ(Next("cron */15 * * * *", "2026-11-26T10:16:00Z"), "2026-11-26T10:30:00.000Z");
  // Mondays at 08:00 Paris; 2026-11-26 is a Thursday.
  EXPECT_EQ(Next("cron 0 8 * * 1", "2026-11-26T10:00:00Z"), "2026-11-30T07:00:00.000Z");
  EXPECT_EQ(Next("cron 0 8 * * 7", "2026-11-26T10:00:00Z"), "2026-11-29T07:00:00.000Z");  // 7 = Sunday
  EXPECT_EQ(Next("cron 0 0 1 1,7 *", "2026-11-26T10:00:00Z"), "2026-12-31T23:00:00.000Z");
}

TEST(Schedule, DstDays2026) {
  // 02:30 does not exist on 29 March: fires at 03:00 CEST.
  EXPECT_EQ(Next("daily 02:30", "2026-03-28T12:00:00Z"), "2026-03-29T01:00:00.000Z");
  // 02:30 happens twice on 25 October: fires once, at the first.
  EXPECT_EQ(Next("daily 02:30", "2026-10-24T12:00:00Z"), "2026-10-25T00:30:00.000Z");
  EXPECT_EQ(Next("daily 02:30", "2026-10-25T00:30:00Z"), "2026-10-26T01:30:00.000Z");
}

TEST(Schedule, Errors) {
  EXPECT_FALSE(Schedule::Parse("sometimes").ok());
  EXPECT_FALSE(Schedule::Parse("every 0s").ok());
  EXPECT_FALSE(Schedule::Parse("cron 61 * * * *").ok());
  EXPECT_FALSE(Schedule::Parse("cron * * *").ok());
  EXPECT_FALSE(Schedule::Parse("daily 6h30").ok());
  EXPECT_NE(Schedule::Parse("cron x * * * *").status().message().find("minute"), std::string::npos);
}

}  // namespace
}  // namespace telecollect::schedule
