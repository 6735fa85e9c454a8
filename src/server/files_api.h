#pragma once

#include "server/http_types.h"

namespace telecollect::server {

// POST /v1/files/validate — multipart/form-data: "file" (the sample, required)
// and "profile" (TOML, optional: without it one is proposed from the file).
// 200 with {report, profile, notes, would_import}; 400 on a malformed body or
// profile; 415 when the body is not multipart. Stores nothing.
HttpResponse ValidateUpload(const HttpRequest& request);

}  // namespace telecollect::server
