#pragma once

#include <map>
#include <string>

#include "core/model.h"
#include "server/http_types.h"
#include "server/query_params.h"
#include "store/store.h"

namespace telecollect::server {

// POST /v1/files/validate — multipart/form-data: "file" (the sample, required)
// and "profile" (TOML, optional: without it one is proposed from the file).
// 200 with {report, profile, notes, would_import}; 400 on a malformed body or
// profile; 415 when the body is not multipart. Stores nothing.
HttpResponse ValidateUpload(const HttpRequest& request);

// GET /v1/files?connector=&limit=&report=true — the file journal of the
// token's scope, newest first: path, size, mtime, hash, status, counts (and
// each file's report with report=true).
HttpResponse FilesJournal(store::Store& store, const Scope& scope, QueryParams& params);

}  // namespace telecollect::server
