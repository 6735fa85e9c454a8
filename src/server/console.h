#pragma once
// GET /console/{path...}: the web console's files (console_assets.h), no token
// (the page signs in with one, kept in the browser's sessionStorage, and calls
// the API with it). Every answer carries a strict Content-Security-Policy (own
// scripts and styles only, no inline script, no framing) and nosniff.

#include <string_view>

#include "server/http_types.h"

namespace telecollect::server {

// The Content-Security-Policy of every console answer.
inline constexpr std::string_view kConsoleCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// The file at `path` ("" or "index.html": the page), or 404. `target` is the
// request target as sent: "/console" is redirected to "/console/".
HttpResponse ConsoleFile(std::string_view target, std::string_view path);

}  // namespace telecollect::server
