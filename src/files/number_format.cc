#include "files/number_format.h"

#include <cmath>
#include <cstddef>
#include <cstdint>

#include <fast_float/fast_float.h>

namespace telecollect::files {

namespace {

// Plain decimals ("-123,45"): up to 15 significant digits, no exponent, no
// group separator (kExactPow10).
bool FastDecimal(std::string_view t, char decimal, double& out) {
  const char* p = t.data();
  const char* const end = p + t.size();
  const bool neg = p < end && *p == '-';
  if (neg) ++p;
  uint64_t mantissa = 0;
  const char* const int_start = p;
  for (; p < end && static_cast<unsigned>(*p - '0') <= 9; ++p) mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
  const ptrdiff_t int_digits = p - int_start;
  ptrdiff_t frac = 0;
  if (p < end && *p == decimal) {
    const char* const frac_start = ++p;
    for (; p < end && static_cast<unsigned>(*p - '0') <= 9; ++p) mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
    frac = p - frac_start;
    if (frac == 0) return false;  // "12," is not a number
  }
  if (p != end || int_digits + frac == 0 || int_digits + frac > kExactDigits) return false;
  double v = static_cast<double>(mantissa);
  if (frac > 0) v /= kExactPow10[frac];
  out = neg ? -v : v;
  return true;
}

}  // namespace

bool ParseNumber(std::string_view text, const NumberFormat& format, double& out) {
  std::string_view t = TrimSpaces(text);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (t.empty()) return false;
  if (FastDecimal(t, format.decimal, out)) return true;
  char buf[64];
  if (format.thousands != 0) {
    // Copy without the group separators, which must stand between digits.
    size_t n = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(t[i]);
      size_t sep_len = 0;
      if (c == static_cast<unsigned char>(format.thousands)) sep_len = 1;
      else if (format.thousands == ' ') sep_len = NoBreakSpaceAt(t, i);
      if (sep_len > 0) {
        const bool digit_before = i > 0 && t[i - 1] >= '0' && t[i - 1] <= '9';
        const bool digit_after = i + sep_len < t.size() && t[i + sep_len] >= '0' && t[i + sep_len] <= '9';
        if (!digit_before || !digit_after) return false;
        i += sep_len - 1;
        continue;
      }
      if (n == sizeof(buf)) return false;
      buf[n++] = static_cast<char>(c);
    }
    t = std::string_view(buf, n);
  }
  const fast_float::parse_options options{fast_float::chars_format::general, format.decimal};
  const auto [end, ec] = fast_float::from_chars_advanced(t.data(), t.data() + t.size(), out, options);
  return ec == std::errc() && end == t.data() + t.size() && std::isfinite(out);
}

}  // namespace telecollect::files
