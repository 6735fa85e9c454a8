#include "server/request_target.h"

#include <gtest/gtest.h>

#include <boost/url/parse.hpp>

namespace telecollect::server {
namespace {

// What Boost.URL alone makes of `target` (the reading for every target).
Result<Target> ByBoost(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return Status::InvalidArgument("malformed request target");
  Target t;
  for (auto seg : parsed->segments()) t.segments.push_back(std::string(seg));
  if (!t.segments.empty() && t.segments.back().empty()) t.segments.pop_back();
  for (auto p : parsed->params()) t.params[std::string(p.key)] = std::string(p.value);
  return t;
}

TEST(RequestTarget, PlainPathsReadAsBoostReadsThem) {
  for (const char* target : {"/", "/healthz", "/v1/push/ttn", "/v1/push/ttn/", "/v1//frames", "//", "/a/./b/../c",
                             "/v1/modules/PDL-1.index_~x/measurements", "/.", "/..",
                             // not plain: Boost reads them
                             "/v1/frames?deviceid=a%20b&limit=10&limit=20", "/v1/modules/a%2Fb/measurements",
                             "/?x", "/a?", "/caf%C3%A9", "/a+b", "/a:b@c"}) {
    Result<Target> mine = ParseTarget(target);
    Result<Target> boost = ByBoost(target);
    ASSERT_TRUE(mine.ok()) << target;
    ASSERT_TRUE(boost.ok()) << target;
    EXPECT_EQ(mine->segments, boost->segments) << target;
    EXPECT_EQ(mine->params, boost->params) << target;
  }
  EXPECT_EQ(ParseTarget("/v1/push/ttn/")->segments, (std::vector<std::string>{"v1", "push", "ttn"}));
  EXPECT_TRUE(ParseTarget("/")->segments.empty());
  EXPECT_EQ(ParseTarget("/v1/frames?deviceid=a%20b")->params.at("deviceid"), "a b");
}

TEST(RequestTarget, NotOriginFormIsRefused) {
  for (const char* target : {"", "v1/push", "http://example.com/", "*", "/a b", "/a\"b", "/%zz", "/a#frag", "/<x>"}) {
    EXPECT_FALSE(ParseTarget(target).ok()) << target;
    EXPECT_FALSE(ByBoost(target).ok()) << target;
  }
}

}  // namespace
}  // namespace telecollect::server
