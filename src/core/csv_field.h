#pragma once

#include <string>
#include <string_view>

namespace telecollect {

// One CSV field as RFC 4180 writes it: quoted (quotes doubled) when it holds a
// comma, a quote, CR or LF; as is otherwise.
inline std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace telecollect
