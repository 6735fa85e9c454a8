#include "server/console.h"

#include <string>

#include "server/console_assets.h"
#include "server/json_error.h"

namespace telecollect::server {
namespace {

std::string_view ContentType(std::string_view name) {
  auto ends = [name](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".png")) return "image/png";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

void AddHeaders(HttpResponse& r) {
  r.headers.emplace_back("Content-Security-Policy", std::string(kConsoleCsp));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-cache");
}

}  // namespace

HttpResponse ConsoleFile(std::string_view target, std::string_view path) {
  if (target == "/console") {
    HttpResponse r{301, "text/plain; charset=utf-8", "see /console/\n", {{"Location", "/console/"}}};
    AddHeaders(r);
    return r;
  }
  if (path.empty()) path = "index.html";
  for (size_t i = 0; i < kConsoleAssetCount; ++i) {
    const EmbeddedFile& f = kConsoleAssets[i];
    if (path != f.name) continue;
    HttpResponse r{200, std::string(ContentType(f.name)), std::string(f.Bytes()), {}};
    AddHeaders(r);
    return r;
  }
  HttpResponse r = JsonError(404, "no console file " + std::string(path.substr(0, 120)));
  AddHeaders(r);
  return r;
}

}  // namespace telecollect::server
