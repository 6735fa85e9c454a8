#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace telecollect::files {

// How a profile's numbers are written: decimal separator ('.' or ','),
// optional thousands separator (' ', '.', ',', '\''; ' ' also matches the
// no-break spaces U+00A0 and U+202F that spreadsheets write).
struct NumberFormat {
  char decimal = '.';
  char thousands = 0;  // 0 = none
};

// The powers of ten that are exact doubles with a mantissa of up to 15 digits
// (< 2^53): mantissa / 10^k is then correctly rounded, one IEEE division
// (Clinger's fast path).
inline constexpr double kExactPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
inline constexpr int kExactDigits = 15;

// Reads a whole field as a finite number: optional spaces around, optional
// sign, digits with the profile's separators, optional exponent. False if the
// text is anything else (empty included).
bool ParseNumber(std::string_view text, const NumberFormat& format, double& out);

// The length of the no-break space (U+00A0, 2 bytes; U+202F, 3 bytes) that
// starts at t[i], 0 if none: spreadsheets group digits with them.
inline size_t NoBreakSpaceAt(std::string_view t, size_t i) {
  const auto byte = [&](size_t k) { return i + k < t.size() ? static_cast<unsigned char>(t[i + k]) : 0u; };
  if (byte(0) == 0xC2 && byte(1) == 0xA0) return 2;
  if (byte(0) == 0xE2 && byte(1) == 0x80 && byte(2) == 0xAF) return 3;
  return 0;
}

// Trims ASCII spaces and tabs. Inline: called several times per field.
inline std::string_view TrimSpaces(std::string_view t) {
  // Most fields have nothing to trim: one test for each end.
  if (!t.empty() && static_cast<unsigned char>(t.front()) > ' ' && static_cast<unsigned char>(t.back()) > ' ') return t;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  return t;
}

// a == b for the short texts compared on every row (module names, timestamps):
// 8-byte words instead of a memcmp call.
inline bool SameText(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  if (n < 8) {
    for (size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  uint64_t x, y;
  for (size_t i = 0; i + 8 < n; i += 8) {
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return false;
  }
  std::memcpy(&x, a.data() + n - 8, 8);  // the last 8 bytes, overlapping what was compared
  std::memcpy(&y, b.data() + n - 8, 8);
  return x == y;
}

}  // namespace telecollect::files
