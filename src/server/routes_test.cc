#include "server/routes.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "server/api.h"

namespace telecollect::server {
namespace {

RouteTable Table() {
  RouteHandler none = [](RouteCall&, Reply) {};
  return RouteTable({{"GET", "/v1/modules/{id}/measurements", Auth::kToken, 0, false, "", none, ""},
                     {"POST", "/v1/push/{source}/{rest...}", Auth::kToken, 0, false, "/v1/push/{source}", none, ""},
                     {"PUT", "/v1/devices/{id}", Auth::kToken, 0, false, "", none, ""},
                     {"GET", "/v1/devices", Auth::kToken, 0, false, "", none, ""},
                     {"POST", "/v1/devices", Auth::kToken, 0, true, "", none, ""},
                     {"POST", "/", Auth::kToken, 0, false, "", none, ""}});
}

TEST(RouteTable, NamedSegmentsRestAnd405WithAllow) {
  const RouteTable t = Table();
  RouteMatch m = t.Find("GET", {"v1", "modules", "a b", "measurements"});
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.args.at("id"), "a b");
  m = t.Find("POST", {"v1", "push", "ttn", "x", "y"});
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.args.at("source"), "ttn");
  EXPECT_EQ(m.args.at("rest"), "x/y");
  EXPECT_EQ(m.route->Label(), "/v1/push/{source}");
  EXPECT_NE(t.Find("POST", {}).route, nullptr);
  m = t.Find("DELETE", {"v1", "devices"});
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "GET, POST");
  m = t.Find("GET", {"v1", "nothing"});
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "");
  EXPECT_EQ(t.Find("GET", {"v1", "modules", "", "measurements"}).route, nullptr);  // a named segment is never empty
}

// docs/api.md lists every route of the table (method and pattern, named
// segments as written there), so that the doc cannot miss one.
TEST(RouteTable, EveryRouteIsInTheApiDoc) {
  std::ifstream in(std::string(TELECOLLECT_SOURCE_DIR) + "/docs/api.md");
  ASSERT_TRUE(in) << "docs/api.md";
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  // The table as the server builds it; its collaborators are never called here.
  const RouteTable& table = ApiRoutesForDocs();
  ASSERT_GT(table.routes().size(), 20u);
  for (const Route& r : table.routes()) {
    std::string pattern(r.pattern);
    if (const size_t rest = pattern.find("/{subpath...}"); rest != std::string::npos) pattern.replace(rest, 13, "[/...]");
    const std::string line = std::string(r.method) + " " + pattern;
    EXPECT_NE(text.find(line), std::string::npos) << "docs/api.md does not list `" << line << "`";
  }
}

// The scope each route needs is in its row: the admin routes, and only they,
// need an admin token (Api::Handle refuses it everywhere else: e2e_admin_test).
TEST(RouteTable, AdminRoutesAndOnlyThemNeedTheAdminScope) {
  size_t admin = 0;
  for (const Route& r : ApiRoutesForDocs().routes()) {
    const bool under_admin = r.pattern.rfind("/v1/admin/", 0) == 0;
    EXPECT_EQ(r.auth == Auth::kAdmin, under_admin) << r.method << " " << r.pattern;
    admin += under_admin;
  }
  EXPECT_EQ(admin, 3u);
}

}  // namespace
}  // namespace telecollect::server
