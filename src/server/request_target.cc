#include "server/request_target.h"

#include <boost/url/parse.hpp>

#include <algorithm>

namespace telecollect::server {
namespace {

bool IsPlainPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '/';
}

}  // namespace

Result<Target> ParseTarget(std::string_view target) {
  Target t;
  if (!target.empty() && target.front() == '/' && std::all_of(target.begin(), target.end(), IsPlainPathChar)) {
    // Nothing to decode: the segments are the text between slashes.
    for (size_t at = 1;;) {
      const size_t slash = target.find('/', at);
      t.segments.emplace_back(target.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at));
      if (slash == std::string_view::npos) break;
      at = slash + 1;
    }
  } else {
    auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) return Status::InvalidArgument("malformed request target");
    for (auto seg : parsed->segments()) t.segments.push_back(std::string(seg));
    for (auto p : parsed->params()) {
      t.params[std::string(p.key)] = std::string(p.value);
      t.pairs.emplace_back(std::string(p.key), std::string(p.value));
    }
  }
  if (!t.segments.empty() && t.segments.back().empty()) t.segments.pop_back();  // trailing slash
  return t;
}

}  // namespace telecollect::server
