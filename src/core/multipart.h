#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace telecollect {

// One part of a multipart/form-data body (RFC 7578).
struct FormPart {
  std::string name;          // form field name
  std::string filename;      // when the part is a file
  std::string content_type;  // as sent, may be empty
  std::string_view data;     // a view into the body
};

// Splits a multipart/form-data body. `content_type` is the request's header
// (its boundary parameter is required). Errors say what is malformed.
Result<std::vector<FormPart>> ParseMultipart(std::string_view content_type, std::string_view body);

}  // namespace telecollect
