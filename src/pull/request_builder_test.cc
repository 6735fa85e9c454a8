#include "pull/request_builder.h"

#include <gtest/gtest.h>

namespace telecollect::pull {
namespace {

EpochMs Utc(const char* iso) { return *ParseIso8601(iso); }

TEST(Expand, PlaceholdersAndLiteralBraces) {
  Vars v{{"prm", "123"}, {"from", "2026-10-24"}};
  EXPECT_EQ(*Expand("/x/{prm}?d={from}&j={{\"a\"}}", v), "/x/123?d=2026-10-24&j={\"a\"}");
  Result<std::string> bad = Expand("/x/{pmr}", v);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown placeholder {pmr}"), std::string::npos);
  EXPECT_NE(bad.status().message().find("prm"), std::string::npos);  // says what is known
  EXPECT_FALSE(Expand("/x/{prm", v).ok());
}

TEST(FormatBound, DatesTimesAndInclusiveEnds) {
  const files::Zone paris = *files::Zone::Locate("Europe/Paris");
  Window w;
  w.time_format = "date";
  // 2026-10-24T22:00Z is local midnight of the 25th.
  EXPECT_EQ(FormatBound(Utc("2026-10-24T22:00:00Z"), false, w, paris), "2026-10-25");
  w.end_inclusive = true;
  EXPECT_EQ(FormatBound(Utc("2026-10-24T22:00:00Z"), true, w, paris), "2026-10-24");
  w.end_inclusive = false;
  w.time_format = "iso8601";
  EXPECT_EQ(FormatBound(Utc("2026-10-25T00:30:00Z"), false, w, paris), "2026-10-25T02:30:00+02:00");
  EXPECT_EQ(FormatBound(Utc("2026-10-25T01:30:00Z"), false, w, paris), "2026-10-25T02:30:00+01:00");
  w.time_format = "iso8601_utc";
  EXPECT_EQ(FormatBound(Utc("2026-10-25T01:30:00.250Z"), false, w, paris), "2026-10-25T01:30:00Z");
  w.time_format = "epoch_s";
  EXPECT_EQ(FormatBound(1000000, false, w, paris), "1000");
  w.time_format = "%d/%m/%Y %Hh";
  EXPECT_EQ(FormatBound(Utc("2026-10-25T01:30:00Z"), false, w, paris), "25/10/2026 02h");
}

TEST(LocalDays, DstDaysAreTwentyFiveAndTwentyThreeHours) {
  const files::Zone paris = *files::Zone::Locate("Europe/Paris");
  const EpochMs oct25 = Utc("2026-10-24T22:00:00Z");
  EXPECT_EQ(LocalMidnight(oct25 + 5 * 3600000, paris), oct25);
  EXPECT_EQ(AddLocalDays(oct25, 1, paris) - oct25, 25 * 3600000LL);
  const EpochMs mar29 = Utc("2026-03-28T23:00:00Z");
  EXPECT_EQ(AddLocalDays(mar29, 1, paris) - mar29, 23 * 3600000LL);
  EXPECT_EQ(AddLocalDays(oct25, 7, paris), Utc("2026-10-31T23:00:00Z"));
}

TEST(BuildRequest, QueryEncodedAndEmptyLonePlaceholdersLeftOut) {
  ApiConnector c;
  c.url = "https://api.example/{site}/data";
  c.query = {{"from", "{from}"}, {"cursor", "{cursor}"}, {"q", "a b&{site}"}};
  c.headers = {{"X-Site", "{site}"}};
  c.method = "POST";
  c.body = "{{\"site\":\"{site}\"}}";
  Vars v{{"site", "s/1"}, {"from", "2026-10-25T02:30:00+01:00"}, {"cursor", ""}};
  HttpRequest r = *BuildRequest(c, v, "");
  EXPECT_EQ(r.url, "https://api.example/s/1/data?from=2026-10-25T02%3A30%3A00%2B01%3A00&q=a%20b%26s%2F1");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].second, "s/1");
  EXPECT_EQ(r.body, "{\"site\":\"s/1\"}");
  v["cursor"] = "abc";
  EXPECT_NE(BuildRequest(c, v, "")->url.find("cursor=abc"), std::string::npos);
  EXPECT_EQ(BuildRequest(c, v, "https://api.example/next?p=2")->url, "https://api.example/next?p=2");
}

TEST(Links, NextLinkAndRelativeResolution) {
  EXPECT_EQ(NextLink("<https://a/b?page=2>; rel=\"next\", <https://a/b?page=9>; rel=\"last\""), "https://a/b?page=2");
  EXPECT_EQ(NextLink("<https://a/b?page=9>; rel=\"last\", </b?page=3>; rel=\"prev next\""), "/b?page=3");
  EXPECT_EQ(NextLink("<https://a/b?page=9>; rel=last"), "");
  EXPECT_EQ(NextLink(""), "");
  EXPECT_EQ(*ResolveUrl("http://127.0.0.1:8080/a/b?x=1", "/c?d=2"), "http://127.0.0.1:8080/c?d=2");
  EXPECT_EQ(*ResolveUrl("http://h/a/b", "https://o/p"), "https://o/p");
  EXPECT_EQ(RedactUrl("https://h/p?api_key=secret"), "https://h/p?…");
}

}  // namespace
}  // namespace telecollect::pull
