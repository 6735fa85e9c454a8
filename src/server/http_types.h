#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace telecollect::server {

// A request as the API sees it: no Beast types, so that handlers compile
// fast and can be tested without sockets.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote;  // peer address, for logs

  // First value of header `name` (lower-case), or empty.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Routes a request; answers exactly once through `reply`, possibly from
// another thread (the writer's) after the request's data is committed.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual void Handle(HttpRequest request, std::function<void(HttpResponse)> reply) = 0;
  // Metric label for a request's route ("/v1/push/{source}", ...); bounded set.
  virtual std::string RouteLabel(const HttpRequest& request) const = 0;
};

}  // namespace telecollect::server
