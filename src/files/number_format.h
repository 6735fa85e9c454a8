#pragma once

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

// Reads a whole field as a finite number: optional spaces around, optional
// sign, digits with the profile's separators, optional exponent. False if the
// text is anything else (empty included).
bool ParseNumber(std::string_view text, const NumberFormat& format, double& out);

// Trims ASCII spaces and tabs.
std::string_view TrimSpaces(std::string_view text);

}  // namespace telecollect::files
