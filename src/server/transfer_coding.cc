#include "server/transfer_coding.h"

#include "core/ascii.h"

namespace telecollect::server {
namespace {

bool IsTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A coding name for a message: a token already, cut to a readable length.
std::string Quoted(std::string_view name) {
  return "\"" + std::string(name.substr(0, 40)) + (name.size() > 40 ? "...\"" : "\"");
}

// transfer-parameter = token BWS "=" BWS ( token / quoted-string )
bool IsParameter(std::string_view p) {
  const size_t eq = p.find('=');
  if (eq == std::string_view::npos) return false;
  if (!IsToken(TrimOws(p.substr(0, eq)))) return false;
  const std::string_view value = TrimOws(p.substr(eq + 1));
  if (IsToken(value)) return true;
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return false;
  for (size_t i = 1; i + 1 < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '\\') {
      if (++i + 1 >= value.size()) return false;  // an escape must escape something inside the quotes
      continue;
    }
    if (c == '"' || c < 0x20 || c == 0x7f) {
      if (c != '\t') return false;
    }
  }
  return true;
}

struct Coding {
  std::string_view name;
  bool has_parameters = false;
};

}  // namespace

TransferCodingVerdict JudgeTransferEncoding(const std::vector<std::string>& values) {
  std::vector<Coding> codings;
  for (const std::string& value : values) {
    std::string_view rest = value;
    while (true) {
      const size_t comma = rest.find(',');
      const std::string_view element = TrimOws(rest.substr(0, comma));
      if (!element.empty()) {  // empty list elements are allowed and ignored (RFC 9110 §5.6.1)
        const size_t semi = element.find(';');
        Coding coding{TrimOws(element.substr(0, semi)), semi != std::string_view::npos};
        if (!IsToken(coding.name)) {
          return {400, "malformed Transfer-Encoding: a transfer coding must be a token"};
        }
        std::string_view params = semi == std::string_view::npos ? std::string_view() : element.substr(semi + 1);
        while (coding.has_parameters) {
          const size_t next = params.find(';');
          if (!IsParameter(TrimOws(params.substr(0, next)))) {
            return {400, "malformed Transfer-Encoding: bad parameter of coding " + Quoted(coding.name)};
          }
          if (next == std::string_view::npos) break;
          params.remove_prefix(next + 1);
        }
        codings.push_back(coding);
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (codings.empty()) return {400, "malformed Transfer-Encoding: no transfer coding"};
  size_t chunked = 0;
  for (const Coding& c : codings) chunked += AsciiEqualsIgnoreCase(c.name, "chunked") ? 1 : 0;
  const Coding& last = codings.back();
  if (!AsciiEqualsIgnoreCase(last.name, "chunked")) {
    return {400, "Transfer-Encoding must end with chunked (RFC 9112 §6.3); got " + Quoted(last.name) + " last"};
  }
  if (chunked > 1) return {400, "Transfer-Encoding applies chunked more than once"};
  if (last.has_parameters) return {400, "malformed Transfer-Encoding: chunked takes no parameters"};
  if (codings.size() > 1) {
    return {501, "transfer coding " + Quoted(codings.front().name) + " is not implemented; only chunked is accepted"};
  }
  return {};
}

}  // namespace telecollect::server
