#include "server/response_writer.h"

#include <charconv>
#include <ostream>  // Boost's string_view (in status.hpp) uses std::ostream without including it
#include <string_view>

#include <boost/beast/http/status.hpp>

#include "core/ascii.h"

namespace telecollect::server {
namespace {

void AppendClean(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (c != '\r' && c != '\n') out += c;
  }
}

void AppendNumber(std::string& out, size_t n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

}  // namespace

void SerializeHead(const HttpResponse& response, unsigned version, bool keep_alive, std::string& out) {
  namespace http = boost::beast::http;
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  AppendNumber(out, static_cast<size_t>(response.status));
  out += ' ';
  out += http::obsolete_reason(http::int_to_status(static_cast<unsigned>(response.status)));
  out += "\r\nServer: telecollect\r\nContent-Type: ";
  AppendClean(out, response.content_type);
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (AsciiEqualsIgnoreCase(name, "content-length") || AsciiEqualsIgnoreCase(name, "connection") || AsciiEqualsIgnoreCase(name, "transfer-encoding")) continue;
    AppendClean(out, name);
    out += ": ";
    AppendClean(out, value);
    out += "\r\n";
  }
  out += keep_alive ? "Connection: keep-alive\r\nContent-Length: " : "Connection: close\r\nContent-Length: ";
  AppendNumber(out, response.body.size());
  out += "\r\n\r\n";
}

void SerializeResponse(const HttpResponse& response, unsigned version, bool keep_alive, std::string& out) {
  SerializeHead(response, version, keep_alive, out);
  out += response.body;
}

}  // namespace telecollect::server
