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

}  // namespace telecollect::server
