#include "files/local_time.h"

#include <gtest/gtest.h>

namespace telecollect::files {
namespace {

EpochMs Utc(const char* iso) { return *ParseIso8601(iso); }

TEST(Zone, UnknownZoneIsAnError) {
  Result<Zone> z = Zone::Locate("Europe/Atlantis");
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.status().message().find("Europe/Atlantis"), std::string::npos);
}

TEST(Zone, ParisWinterAndSummer) {
  Zone z = *Zone::Locate("Europe/Paris");
  EXPECT_EQ(z.Resolve(MakeLocalMs(2026, 1, 15, 12, 0, 0, 0)).first, Utc("2026-01-15T11:00:00Z"));
  EXPECT_EQ(z.Resolve(MakeLocalMs(2026, 7, 15, 12, 0, 0, 0)).first, Utc("2026-07-15T10:00:00Z"));
  // Cached hour, other minutes.
  EXPECT_EQ(z.Resolve(MakeLocalMs(2026, 7, 15, 12, 59, 59, 999)).first, Utc("2026-07-15T10:59:59.999Z"));
}

TEST(Zone, SpringGap2026) {
  Zone z = *Zone::Locate("Europe/Paris");
  EXPECT_EQ(z.Resolve(MakeLocalMs(2026, 3, 29, 1, 59, 0, 0)).first, Utc("2026-03-29T00:59:00Z"));
  EXPECT_EQ(z.Resolve(MakeLocalMs(2026, 3, 29, 2, 0, 0, 0)).kind, LocalResolution::kGap);
  EXPECT_EQ(z.Resolve(MakeLocalMs(2026, 3, 29, 2, 59, 59, 0)).kind, LocalResolution::kGap);
  EXPECT_EQ(z.Resolve(MakeLocalMs(2026, 3, 29, 3, 0, 0, 0)).first, Utc("2026-03-29T01:00:00Z"));
  SeriesClock clock;
  Result<ResolvedTime> r = ResolveInSeries(z, MakeLocalMs(2026, 3, 29, 2, 30, 0, 0), clock);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("2026-03-29 02:30:00 does not exist"), std::string::npos);
}

TEST(Zone, AutumnRepeatedHour2026) {
  Zone z = *Zone::Locate("Europe/Paris");
  const LocalResolution r = z.Resolve(MakeLocalMs(2026, 10, 25, 2, 30, 0, 0));
  ASSERT_EQ(r.kind, LocalResolution::kAmbiguous);
  EXPECT_EQ(r.first, Utc("2026-10-25T00:30:00Z"));
  EXPECT_EQ(r.second, Utc("2026-10-25T01:30:00Z"));
}

TEST(SeriesClock, TimeOrderedSeriesReadsFirstThenSecondOccurrence) {
  Zone z = *Zone::Locate("Europe/Paris");
  SeriesClock clock;
  // 01:50 02:00 ... 02:50 02:00 ... 02:50 03:00, every 10 minutes.
  std::vector<LocalMs> locals;
  for (int m = 50; m < 60; m += 10) locals.push_back(MakeLocalMs(2026, 10, 25, 1, m, 0, 0));
  for (int pass = 0; pass < 2; ++pass)
    for (int m = 0; m < 60; m += 10) locals.push_back(MakeLocalMs(2026, 10, 25, 2, m, 0, 0));
  locals.push_back(MakeLocalMs(2026, 10, 25, 3, 0, 0, 0));
  EpochMs expect = Utc("2026-10-24T23:50:00Z");
  int second = 0;
  for (LocalMs l : locals) {
    Result<ResolvedTime> r = ResolveInSeries(z, l, clock);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->utc, expect) << FormatLocal(l);
    second += r->second_occurrence;
    expect += 600000;
  }
  EXPECT_EQ(second, 6);
}

TEST(SeriesClock, HourlyFileOfTheSecondOccurrenceAloneIsReadAsFirst) {
  // Documented limit: without the first occurrence before it, a series cannot
  // know it is past the fold.
  Zone z = *Zone::Locate("Europe/Paris");
  SeriesClock clock;
  EXPECT_EQ(ResolveInSeries(z, MakeLocalMs(2026, 10, 25, 2, 0, 0, 0), clock)->utc, Utc("2026-10-25T00:00:00Z"));
}

TEST(LocalMs, FormatsAndHour24) {
  EXPECT_EQ(FormatLocal(MakeLocalMs(2026, 2, 1, 24, 0, 0, 0)), "2026-02-02 00:00:00");
  EXPECT_EQ(FormatLocal(MakeLocalMs(1969, 12, 31, 23, 0, 0, 5)), "1969-12-31 23:00:00.005");
}

}  // namespace
}  // namespace telecollect::files
