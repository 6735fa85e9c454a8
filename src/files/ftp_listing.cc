#include "files/ftp_listing.h"

namespace telecollect::files {
namespace {

// Position just past `fields` space-separated fields from `pos`, npos if the line has fewer.
size_t SkipFields(std::string_view line, size_t pos, int fields) {
  for (int field = 0; field < fields; ++field) {
    pos = line.find_first_not_of(' ', pos);
    if (pos == std::string_view::npos) return pos;
    pos = line.find(' ', pos);
    if (pos == std::string_view::npos) return pos;
  }
  return pos;
}

// The rest of the line after the spaces at `pos`: the name; false if nothing is left.
bool RestIsName(std::string_view line, size_t pos, std::string& name) {
  if (pos == std::string_view::npos) return false;
  pos = line.find_first_not_of(' ', pos);
  if (pos == std::string_view::npos) return false;
  name = std::string(line.substr(pos));
  return true;
}

bool IsWindowsDate(std::string_view t) {  // MM-DD-YY
  return t.size() == 8 && t[2] == '-' && t[5] == '-';
}

}  // namespace

bool ParseFtpListLine(std::string_view line, FtpListEntry& out) {
  if (line.empty()) return false;
  const char kind = line[0];
  if (kind == '-' || kind == 'd' || kind == 'l') {
    // Unix: permissions, links, owner, group, size, month, day, time or year, then the name.
    if (kind == 'l') return false;  // links: not followed
    if (!RestIsName(line, SkipFields(line, 0, 8), out.name)) return false;
    out.is_dir = kind == 'd';
  } else {
    // Windows: date, time, <DIR> or the size, then the name.
    const size_t first = line.find_first_not_of(' ');
    if (first == std::string_view::npos) return false;
    const size_t end = line.find(' ', first);
    if (end == std::string_view::npos || !IsWindowsDate(line.substr(first, end - first))) return false;
    const size_t third = line.find_first_not_of(' ', SkipFields(line, 0, 2));
    if (third == std::string_view::npos) return false;
    const size_t third_end = line.find(' ', third);
    if (third_end == std::string_view::npos) return false;
    if (!RestIsName(line, third_end, out.name)) return false;
    out.is_dir = line.substr(third, third_end - third) == "<DIR>";
  }
  return out.name != "." && out.name != "..";
}

}  // namespace telecollect::files
