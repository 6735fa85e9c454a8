#include "core/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>

namespace telecollect {

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    // A run of bytes that stand as they are (printable ASCII but '"' and
    // '\\': keys, ids, most values) is copied at once.
    size_t run = i;
    while (run < s.size() && static_cast<unsigned char>(s[run]) >= 0x20 && static_cast<unsigned char>(s[run]) < 0x7F &&
           s[run] != '"' && s[run] != '\\') {
      ++run;
    }
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      if (i == s.size()) break;
    }
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // Validate one UTF-8 sequence.
      int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
      bool valid = len > 0 && i + len <= s.size();
      for (int k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
      if (valid && len == 2 && c < 0xC2) valid = false;  // overlong
      if (valid) {
        out.append(s.substr(i, len));
        i += len - 1;
      } else {
        out += "\xEF\xBF\xBD";
      }
    }
  }
  out += '"';
}

namespace {

constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};

// What std::to_chars writes for `v`, when v is x / 10^k for an integer x of
// at most 15 digits and k <= 6 (readings with a few decimals): those digits,
// trailing zeros dropped, are the shortest that read back as v (two decimals
// of at most 15 significant digits never read as one double), and the
// fixed form is written when it is not longer than the scientific one, as
// to_chars does. Returns the end, or nullptr for every other value.
char* DecimalChars(char* buf, double v) {
  if (v == 0 || !(std::fabs(v) < 1e15)) return nullptr;  // 0 and -0 too: to_chars
  int k = 0;
  double x = v;
  while (x != std::nearbyint(x) || x / kPow10[k] != v) {
    if (++k >= static_cast<int>(std::size(kPow10))) return nullptr;
    x = v * kPow10[k];
  }
  if (!(std::fabs(x) < 1e15)) return nullptr;
  auto digits = static_cast<uint64_t>(std::fabs(x));
  while (k > 0 && digits % 10 == 0) {
    digits /= 10;
    --k;
  }
  char d[24];
  char* e = std::to_chars(d, d + sizeof d, digits).ptr;
  const int n = static_cast<int>(e - d);
  // Significant digits and the decimal exponent of the first one.
  int sig = n;
  while (sig > 1 && d[sig - 1] == '0') --sig;
  const int exp10 = n - 1 - k;
  const int fixed_len = n > k ? n + (k > 0 ? 1 : 0) : k + 2;  // "0.00ddd" when below 1
  const int sci_len = sig + (sig > 1 ? 1 : 0) + 2 + (std::abs(exp10) >= 100 ? 3 : 2);
  if (fixed_len > sci_len) return nullptr;
  char* p = buf;
  if (v < 0) *p++ = '-';
  if (n > k) {
    std::memcpy(p, d, static_cast<size_t>(n - k));
    p += n - k;
    if (k > 0) {
      *p++ = '.';
      std::memcpy(p, d + n - k, static_cast<size_t>(k));
      p += k;
    }
  } else {
    *p++ = '0';
    *p++ = '.';
    for (int i = n; i < k; ++i) *p++ = '0';
    std::memcpy(p, d, static_cast<size_t>(n));
    p += n;
  }
  return p;
}

}  // namespace

void AppendJsonNumber(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  char* p = DecimalChars(buf, v);
  if (p == nullptr) p = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, p);
}

}  // namespace telecollect
