#include "core/time_util.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>

namespace telecollect {
namespace {

TEST(ParseIso8601Test, BriefExample) {
  auto t = ParseIso8601("2019-04-28T12:59:36.599Z");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, 1556456376599);
  EXPECT_EQ(FormatIso8601(*t), "2019-04-28T12:59:36.599Z");
}

// The C library's calendar as the oracle: gmtime_r and the milliseconds.
std::string ReferenceIso8601(EpochMs ms) {
  const int64_t ms_part = ((ms % 1000) + 1000) % 1000;
  const time_t secs = static_cast<time_t>((ms - ms_part) / 1000);
  std::tm tm{};
  EXPECT_NE(gmtime_r(&secs, &tm), nullptr);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms_part));
  return buf;
}

TEST(FormatIso8601Test, EveryYearFromZeroToNineThousandNineHundredNinetyNine) {
  const EpochMs first = -62167219200000;  // 0000-01-01T00:00:00.000Z
  const EpochMs last = 253402300799999;   // 9999-12-31T23:59:59.999Z
  EXPECT_EQ(FormatIso8601(first), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(last), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(4107542399999), "2100-02-28T23:59:59.999Z");
  std::mt19937_64 rng(21);
  std::uniform_int_distribution<EpochMs> any(first, last);
  for (int i = 0; i < 200000; ++i) {
    const EpochMs ms = any(rng);
    ASSERT_EQ(FormatIso8601(ms), ReferenceIso8601(ms)) << ms;
  }
  // Each day's first and last millisecond around the leap days of 1900-2100.
  for (EpochMs day = -25567; day < 47482; day += 1) {
    ASSERT_EQ(FormatIso8601(day * 86400000), ReferenceIso8601(day * 86400000)) << day;
    ASSERT_EQ(FormatIso8601(day * 86400000 + 86399999), ReferenceIso8601(day * 86400000 + 86399999)) << day;
  }
  std::string appended = "at ";
  AppendIso8601(appended, 1556456376599);
  EXPECT_EQ(appended, "at 2019-04-28T12:59:36.599Z");
}

TEST(FormatIso8601Test, YearsOutsideFourDigitsAsBefore) {
  EXPECT_EQ(FormatIso8601(253402300800000), "10000-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(-62167219200001), "-001-12-31T23:59:59.999Z");
}

TEST(ParseIso8601Test, AnyFractionDigitsAndOffsets) {
  struct Case { const char* text; int64_t ms; } cases[] = {
    {"2019-04-28T12:59:36Z", 1556456376000},
    {"2019-04-28T12:59:36.5Z", 1556456376500},
    {"2019-04-28T12:59:36.123456789Z", 1556456376123},
    {"2019-04-28T14:59:36.599+02:00", 1556456376599},
    {"2019-04-28T14:59:36.599+0200", 1556456376599},
    {"2019-04-28T10:59:36.599-02", 1556456376599},
    {"2019-04-28 12:59:36,599z", 1556456376599},
    {"2019-04-28T12:59Z", 1556456340000},
    {"2020-02-29T00:00:00Z", 1582934400000},
    {"2019-04-28T24:00:00Z", 1556496000000},
  };
  for (const auto& c : cases) {
    auto t = ParseIso8601(c.text);
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.status().ToString();
    EXPECT_EQ(*t, c.ms) << c.text;
  }
}

TEST(ParseIso8601Test, RejectsWithReason) {
  struct Case { const char* text; const char* why; } cases[] = {
    {"2019-04-28T12:59:36", "no UTC offset"},
    {"2019-02-29T12:00:00Z", "no such day"},
    {"2019-13-01T12:00:00Z", "month out of range"},
    {"2019-04-28T25:00:00Z", "time of day out of range"},
    {"2019-04-28X12:00:00Z", "expected 'T'"},
    {"1969-12-31T23:59:59Z", "before 1970"},
    {"2100-01-01T00:00:00Z", "after 2100"},
    {"2019-04-28T12:00:00Zjunk", "trailing characters"},
    {"2019-04-28T12:00:00.Z", "digits after the decimal point"},
    {"", "4-digit year"},
    {"2019-04-28T12:00:00+25:00", "offset out of range"},
  };
  for (const auto& c : cases) {
    auto t = ParseIso8601(c.text);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_NE(t.status().message().find(c.why), std::string::npos) << c.text << " → " << t.status().message();
  }
}

TEST(EpochFromNumberTest, SecondsOrMilliseconds) {
  EXPECT_EQ(*EpochFromNumber(1556456376), 1556456376000);
  EXPECT_EQ(*EpochFromNumber(1556456376.599), 1556456376599);
  EXPECT_EQ(*EpochFromNumber(1556456376599.0), 1556456376599);
  EXPECT_FALSE(EpochFromNumber(-1).ok());
  EXPECT_FALSE(EpochFromNumber(5e12).ok());
}

TEST(ParseTimeBoundTest, DatesIsoAndEpochs) {
  EXPECT_EQ(*ParseTimeBound("from", "2019-04-28"), 1556409600000);
  EXPECT_EQ(*ParseTimeBound("from", "2019-04-28T12:59:36.599Z"), 1556456376599);
  EXPECT_EQ(*ParseTimeBound("from", "1556456376"), 1556456376000);
  EXPECT_EQ(*ParseTimeBound("from", "1556456376599"), 1556456376599);
  auto bad = ParseTimeBound("to", "yesterday");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("to: ", 0), 0u) << bad.status().message();
  EXPECT_FALSE(ParseTimeBound("to", "1.2.3").ok());
}

TEST(DurationTest, Units) {
  EXPECT_EQ(*ParseDurationMs("10m"), 600000);
  EXPECT_EQ(*ParseDurationMs("1h"), 3600000);
  EXPECT_EQ(*ParseDurationMs("1d"), 86400000);
  EXPECT_EQ(*ParseDurationMs("250ms"), 250);
  EXPECT_EQ(*ParseDurationMs("3"), 3000);
  EXPECT_FALSE(ParseDurationMs("3w").ok());
  EXPECT_FALSE(ParseDurationMs("h").ok());
}

TEST(DurationTest, Iso8601) {
  EXPECT_EQ(*ParseDurationMs("PT30M"), 1800000);
  EXPECT_EQ(*ParseDurationMs("PT10M"), 600000);
  EXPECT_EQ(*ParseDurationMs("PT1H"), 3600000);
  EXPECT_EQ(*ParseDurationMs("P1D"), 86400000);
  EXPECT_EQ(*ParseDurationMs("P1DT1H30M"), 86400000 + 5400000);
  EXPECT_EQ(*ParseDurationMs("PT1.5S"), 1500);
  EXPECT_FALSE(ParseDurationMs("P1M").ok());  // a month has no fixed length
  EXPECT_FALSE(ParseDurationMs("PT").ok());
  EXPECT_FALSE(ParseDurationMs("PT30").ok());
  EXPECT_FALSE(ParseDurationMs("P1H").ok());  // hours need the T
}

}  // namespace

TEST(DurationTest, OverflowIsRefusedNotWrapped) {
  // 9223372036854775807ms once answered 200 with buckets in year -6911.
  for (const char* text : {"9223372036854775807ms", "9223372036854775807d", "9223372036854775808ms",
                           "106751991167d", "99999999999999999999999s", "P9999999999999999999D", "P100000000W",
                           "PT9223372036854775807S", "P47483D", "4102444800001ms"}) {
    Result<int64_t> r = ParseDurationMs(text);
    ASSERT_FALSE(r.ok()) << text << " = " << *r;
    EXPECT_NE(r.status().message().find("longest accepted"), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(*ParseDurationMs("4102444800000ms"), kMaxDurationMs);  // the edge itself
  EXPECT_EQ(*ParseDurationMs("47482d"), kMaxDurationMs);
  EXPECT_EQ(*ParseDurationMs("P47482D"), kMaxDurationMs);
  EXPECT_EQ(*ParseDurationMs("0ms"), 0);
  for (const char* text : {"-1s", "+1s", "", " 1s", "1 s", "1.5h", "ms", "P", "PT-1S", "P+1D"}) {
    EXPECT_FALSE(ParseDurationMs(text).ok()) << text;
  }
}

TEST(DurationTest, FormatReadsBackToTheSameValue) {
  for (int64_t ms : {int64_t{0}, int64_t{1}, int64_t{999}, int64_t{1000}, int64_t{1500}, int64_t{60000},
                     int64_t{5400000}, int64_t{86400000}, int64_t{90061001}, kMaxDurationMs, kMaxDurationMs - 1}) {
    Result<int64_t> back = ParseDurationMs(FormatDurationMs(ms));
    ASSERT_TRUE(back.ok()) << FormatDurationMs(ms);
    EXPECT_EQ(*back, ms) << FormatDurationMs(ms);
  }
  EXPECT_EQ(FormatDurationMs(5400000), "90m");
  EXPECT_EQ(FormatDurationMs(kMaxDurationMs), "47482d");
}

}  // namespace telecollect
