#pragma once

#include <string_view>

#include "push/push_service.h"
#include "server/http_types.h"

namespace telecollect::server {

// The HTTP status of a failed operation.
inline int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kUnsupported: return 415;
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

// {"error": message} with `status`: every 4xx/5xx answer of the API.
inline HttpResponse JsonError(int status, std::string_view message) {
  return {status, "application/json", push::ErrorJson(message), {}};
}

// 503, Retry-After: 1 and always the same body (push::StoreUnavailableJson):
// the answer of every route that needs the store while the database cannot
// be reached.
inline HttpResponse StoreUnavailable() {
  return {503, "application/json", push::StoreUnavailableJson(), {{"Retry-After", "1"}}};
}

// The answer for a failed operation: its HTTP status and message, with
// WWW-Authenticate on 401 and Retry-After on 503; StoreUnavailable() when the
// database cannot be reached.
inline HttpResponse StatusError(const Status& s) {
  if (store::IsStoreUnreachable(s)) return StoreUnavailable();
  HttpResponse r = JsonError(HttpStatusFor(s), s.message());
  if (s.code() == StatusCode::kUnauthenticated) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"telecollect\"");
  if (r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace telecollect::server
