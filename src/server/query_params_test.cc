#include "server/query_params.h"

#include <gtest/gtest.h>

namespace telecollect::server {
namespace {

TEST(QueryParams, DurationsAreRangeCheckedNeverWrapped) {
  for (const char* step : {"9223372036854775807ms", "9223372036854775808ms", "106751991167d", "47483d", "0ms", "-1h", "1x"}) {
    std::map<std::string, std::string> m{{"step", step}};
    QueryParams p(m);
    EXPECT_FALSE(p.Duration("step", kMinStepMs, kMaxDurationMs).has_value()) << step;
    ASSERT_TRUE(p.error().has_value()) << step;
    EXPECT_EQ(p.error()->parameter, "step");
    EXPECT_EQ(p.error()->allowed, "1ms to 47482d");
  }
  std::map<std::string, std::string> edge{{"step", "47482d"}};
  QueryParams p(edge);
  EXPECT_EQ(p.Duration("step", kMinStepMs, kMaxDurationMs), kMaxDurationMs);
  EXPECT_FALSE(p.error());
}

TEST(QueryParams, LimitsTimesIdsAndChoices) {
  std::map<std::string, std::string> m{{"limit", "18446744073709551616"}, {"from", "1e300"}, {"before", "-3"},
                                       {"format", "xml"}, {"env", "dev"}, {"status", "all"}, {"dry_run", "yes"}};
  auto refused = [&](auto read, const char* name) {
    QueryParams p(m);
    read(p);
    ASSERT_TRUE(p.error().has_value()) << name;
    EXPECT_EQ(p.error()->parameter, name);
    EXPECT_FALSE(p.error()->allowed.empty());
  };
  refused([](QueryParams& p) { EXPECT_EQ(p.Limit("limit", 7, 1000), 7u); }, "limit");
  refused([](QueryParams& p) { EXPECT_FALSE(p.Time("from")); }, "from");
  refused([](QueryParams& p) { EXPECT_FALSE(p.Id("before")); }, "before");
  refused([](QueryParams& p) { EXPECT_EQ(p.Choice("format", "json", {"json", "csv"}), "json"); }, "format");
  refused([](QueryParams& p) { EXPECT_FALSE(p.EnvParam("env")); }, "env");
  refused([](QueryParams& p) { EXPECT_FALSE(p.StatusParam("status")); }, "status");  // "all" only where allowed
  refused([](QueryParams& p) { EXPECT_FALSE(p.Flag("dry_run")); }, "dry_run");

  std::map<std::string, std::string> ok{{"limit", "1000"}, {"from", "2099-12-31"}, {"to", "4102444799999"},
                                        {"before", "9223372036854775807"}, {"status", "all"}};
  QueryParams p(ok);
  EXPECT_EQ(p.Limit("limit", 7, 1000), 1000u);
  EXPECT_EQ(p.Time("from"), 4102358400000);
  EXPECT_EQ(p.Time("to"), 4102444799999);
  EXPECT_EQ(p.Id("before"), INT64_MAX);
  bool all = false;
  EXPECT_FALSE(p.StatusParam("status", true, &all));
  EXPECT_TRUE(all);
  EXPECT_FALSE(p.error());
  std::map<std::string, std::string> late{{"to", "2100-01-01"}, {"from", "1969-12-31"}};
  QueryParams q(late);
  EXPECT_FALSE(q.Time("to"));
  EXPECT_EQ(q.error()->parameter, "to");
}

}  // namespace
}  // namespace telecollect::server
