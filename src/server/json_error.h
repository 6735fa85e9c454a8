#pragma once

#include <string_view>

#include "push/push_service.h"
#include "server/http_types.h"

namespace telecollect::server {

// {"error": message} with `status`: every 4xx/5xx answer of the API.
inline HttpResponse JsonError(int status, std::string_view message) {
  return {status, "application/json", push::ErrorJson(message), {}};
}

}  // namespace telecollect::server
