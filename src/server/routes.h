#pragma once
// The route table: every route of the API declared once, with what it needs.
// Api::Handle dispatches from it, Api::RouteLabel labels metrics from it, and
// auth, body limits and the worker pool are decided from its rows, so that no
// handler can forget them.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "server/http_types.h"
#include "server/query_params.h"
#include "server/request_target.h"

namespace telecollect::server {

// Who may call a route.
enum class Auth {
  kNone,   // no token (health, metrics)
  kToken,  // a tenant + env token; ?env= and ?tenant= must match it (else 403); an admin token is refused (403)
  kAdmin,  // an admin token (`token create --admin`); a tenant token is refused (403)
};

// One call of a route, as its handler sees it.
struct RouteCall {
  const HttpRequest& request;
  const Target& target;
  QueryParams& params;
  std::map<std::string, std::string, std::less<>> args;  // the pattern's named segments
  const Scope* scope = nullptr;                          // set for Auth::kToken and kAdmin

  const std::string& Arg(std::string_view name) const { return args.find(name)->second; }
};

using Reply = std::function<void(HttpResponse)>;
// Answers exactly once through `reply`, from any thread.
using RouteHandler = std::function<void(RouteCall& call, Reply reply)>;

inline constexpr size_t kServerBodyLimit = 0;  // Route::max_body: the server's max_body_bytes only

struct Route {
  std::string_view method;   // "GET", "POST", ...
  std::string_view pattern;  // "/v1/modules/{id}/measurements"; a last "{rest...}" takes any number (0+) of segments
  Auth auth = Auth::kToken;
  size_t max_body = kServerBodyLimit;  // larger bodies → 413 (0: the server's limit alone)
  bool on_pool = false;                // runs on the worker pool (heavy: parsing uploads, decoding, fetching)
  std::string_view label;              // metrics label; the pattern when empty
  RouteHandler handler;
  std::string_view summary;  // one line, for docs and errors

  std::string_view Label() const { return label.empty() ? pattern : label; }
};

// What a request target matches.
struct RouteMatch {
  const Route* route = nullptr;  // null: no route for this method
  std::map<std::string, std::string, std::less<>> args;
  std::string allow;  // the path matches other methods' routes: "GET, POST" (→ 405), else empty (→ 404)
};

// 400 for a refused parameter: {"error", "parameter", "allowed"}.
HttpResponse ParamErrorResponse(const ParamError& error);

class RouteTable {
 public:
  explicit RouteTable(std::vector<Route> routes);

  // The route for `method` on `segments` (decoded path segments); first declared wins.
  RouteMatch Find(std::string_view method, const std::vector<std::string>& segments) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string_view> parts;  // literal, or "{name}"
    bool rest = false;                    // last part is "{name...}"
  };
  static bool Matches(const Compiled& c, const std::vector<std::string>& segments,
                      std::map<std::string, std::string, std::less<>>* args);

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;  // by route
};

}  // namespace telecollect::server
