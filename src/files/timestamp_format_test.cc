#include "files/timestamp_format.h"

#include <gtest/gtest.h>

namespace telecollect::files {
namespace {

LocalMs Local(std::string_view spec, std::string_view text) {
  Result<TimestampFormat> f = TimestampFormat::Parse(spec);
  EXPECT_TRUE(f.ok()) << f.status().message();
  Result<TimestampFormat::Value> v = f->Read(text);
  EXPECT_TRUE(v.ok()) << v.status().message();
  EXPECT_FALSE(v->absolute);
  return v->local;
}

EpochMs Absolute(std::string_view spec, std::string_view text) {
  Result<TimestampFormat::Value> v = TimestampFormat::Parse(spec)->Read(text);
  EXPECT_TRUE(v.ok()) << v.status().message();
  EXPECT_TRUE(v->absolute);
  return v->utc;
}

std::string Error(std::string_view spec, std::string_view text) {
  Result<TimestampFormat::Value> v = TimestampFormat::Parse(spec)->Read(text);
  EXPECT_FALSE(v.ok());
  return v.ok() ? "" : v.status().message();
}

TEST(TimestampFormat, FrenchPatterns) {
  EXPECT_EQ(Local("%d/%m/%Y %H:%M", "25/10/2026 02:30"), MakeLocalMs(2026, 10, 25, 2, 30, 0, 0));
  EXPECT_EQ(Local("%d/%m/%Y %H:%M", "1/3/2026 0:10"), MakeLocalMs(2026, 3, 1, 0, 10, 0, 0));
  EXPECT_EQ(Local("%d/%m/%Y %H:%M:%S", "01/03/2026   00:10:05,250"), MakeLocalMs(2026, 3, 1, 0, 10, 5, 250));
  EXPECT_EQ(Local("%d %b %Y %H:%M", "3 janv. 2026 10:00"), MakeLocalMs(2026, 1, 3, 10, 0, 0, 0));
  EXPECT_EQ(Local("%d %B %Y", "15 février 2026"), MakeLocalMs(2026, 2, 15, 0, 0, 0, 0));
  EXPECT_EQ(Local("%d-%b-%y %I:%M %p", "15-Feb-26 12:30 AM"), MakeLocalMs(2026, 2, 15, 0, 30, 0, 0));
  EXPECT_EQ(Local("%Y%j", "2026060"), MakeLocalMs(2026, 3, 1, 0, 0, 0, 0));
  EXPECT_EQ(Local("%F %T", "2026-02-01 24:00:00"), MakeLocalMs(2026, 2, 2, 0, 0, 0, 0));
}

TEST(TimestampFormat, OffsetsMakeAbsoluteTimes) {
  EXPECT_EQ(Absolute("%Y-%m-%dT%H:%M:%S%z", "2026-10-25T02:30:00+02:00"), *ParseIso8601("2026-10-25T00:30:00Z"));
  EXPECT_EQ(Absolute("%Y-%m-%d %H:%M%z", "2026-10-25 02:30+0100"), *ParseIso8601("2026-10-25T01:30:00Z"));
  EXPECT_EQ(Absolute("iso8601", "2026-10-25T02:30:00.123456Z"), *ParseIso8601("2026-10-25T02:30:00.123Z"));
  EXPECT_EQ(Local("iso8601", "2026-10-25T02:30:00"), MakeLocalMs(2026, 10, 25, 2, 30, 0, 0));
  EXPECT_EQ(Local("iso8601", "2026-10-25"), MakeLocalMs(2026, 10, 25, 0, 0, 0, 0));
}

TEST(TimestampFormat, Epochs) {
  EXPECT_EQ(Absolute("epoch", "1780000000"), 1780000000000);
  EXPECT_EQ(Absolute("epoch", "1780000000000"), 1780000000000);
  EXPECT_EQ(Absolute("epoch_s", "1780000000.5"), 1780000000500);
  EXPECT_EQ(Absolute("epoch_ms", "1780000000123"), 1780000000123);
  EXPECT_NE(Error("epoch_ms", "12a").find("not a number"), std::string::npos);
  EXPECT_NE(Error("epoch_s", "99999999999"), "");  // year 5138
}

TEST(TimestampFormat, ErrorsSayWhereAndWhat) {
  EXPECT_EQ(Error("%d/%m/%Y %H:%M", "25-10-2026 02:30"),
            "timestamp \"25-10-2026 02:30\" does not match \"%d/%m/%Y %H:%M\": expected '/' at position 3");
  EXPECT_NE(Error("%d/%m/%Y %H:%M", "31/02/2026 10:00").find("no such day"), std::string::npos);
  EXPECT_NE(Error("%d/%m/%Y %H:%M", "01/02/2026 24:30").find("24:00 must be exactly midnight"), std::string::npos);
  EXPECT_NE(Error("%d/%m/%Y %H:%M", "01/02/2026 10:00 extra").find("expected the end"), std::string::npos);
  EXPECT_NE(Error("iso8601", "2026-10-25T02:30:00+25:00").find("offset"), std::string::npos);
  EXPECT_NE(Error("%Y-%m-%d", "1900-01-01").find("outside"), std::string::npos);
}

TEST(TimestampFormat, BadSpecs) {
  EXPECT_FALSE(TimestampFormat::Parse("%H:%M").ok());      // no date
  EXPECT_FALSE(TimestampFormat::Parse("%Y-%m-%d %Q").ok()); // unknown conversion
  EXPECT_FALSE(TimestampFormat::Parse("%Y-%m-%d %I:%M").ok());  // %I without %p
  EXPECT_FALSE(TimestampFormat::Parse("%Y-%m-%d %").ok());
}

}  // namespace
}  // namespace telecollect::files
