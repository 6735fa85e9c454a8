#include "core/multipart.h"

#include <algorithm>
#include <cctype>

namespace telecollect {
namespace {

std::string Lower(std::string_view s) {
  std::string o(s);
  std::transform(o.begin(), o.end(), o.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return o;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The value of parameter `key` in "type; a=b; key="value"" (quotes removed).
std::string Param(std::string_view header, std::string_view key) {
  size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    ++pos;
    std::string_view rest = Trim(header.substr(pos));
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos) continue;
    if (Lower(Trim(rest.substr(0, eq))) != key) continue;
    std::string_view v = rest.substr(eq + 1);
    if (!v.empty() && v.front() == '"') {
      std::string out;
      for (size_t i = 1; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) out += v[++i];
        else if (v[i] == '"') break;
        else out += v[i];
      }
      return out;
    }
    const size_t end = v.find(';');
    return std::string(Trim(v.substr(0, end)));
  }
  return "";
}

}  // namespace

Result<std::vector<FormPart>> ParseMultipart(std::string_view content_type, std::string_view body) {
  if (Lower(Trim(content_type.substr(0, content_type.find(';')))) != "multipart/form-data")
    return Status::Unsupported("expected Content-Type: multipart/form-data");
  const std::string boundary = Param(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) return Status::InvalidArgument("multipart boundary missing or too long");
  const std::string delim = "--" + boundary;
  size_t pos = body.find(delim);
  if (pos == std::string_view::npos) return Status::InvalidArgument("no multipart boundary in the body");
  std::vector<FormPart> parts;
  while (true) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") return Status::InvalidArgument("malformed multipart boundary line");
    pos += 2;
    const size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos) return Status::InvalidArgument("multipart part without a blank line after its headers");
    FormPart part;
    std::string_view headers = body.substr(pos, head_end - pos);
    while (!headers.empty()) {
      const size_t eol = headers.find("\r\n");
      const std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) return Status::InvalidArgument("malformed multipart part header");
      const std::string name = Lower(Trim(line.substr(0, colon)));
      const std::string_view value = Trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        std::string with_semicolon = ";" + std::string(value.substr(value.find(';') == std::string_view::npos ? value.size() : value.find(';')));
        part.name = Param(with_semicolon, "name");
        part.filename = Param(with_semicolon, "filename");
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    const size_t data_start = head_end + 4;
    const size_t next = body.find("\r\n" + delim, data_start);
    if (next == std::string_view::npos) return Status::InvalidArgument("multipart body ends without its closing boundary");
    part.data = body.substr(data_start, next - data_start);
    parts.push_back(std::move(part));
    if (parts.size() > 64) return Status::InvalidArgument("more than 64 multipart parts");
    pos = next + 2;
  }
}

}  // namespace telecollect
