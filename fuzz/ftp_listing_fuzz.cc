// One FTP LIST line (the answer of an FTP server we only partly trust). Never
// crashes; what it accepts is a name that ends the line, is neither "." nor ".."
// and starts with no space; and that entry, written back as a Unix and as a
// Windows listing line, parses to itself (round trip).
#include <cstdint>
#include <string>
#include <string_view>

#include "files/ftp_listing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using telecollect::files::FtpListEntry;
  using telecollect::files::ParseFtpListLine;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  FtpListEntry e;
  if (!ParseFtpListLine(line, e)) return 0;
  if (e.name.empty() || e.name == "." || e.name == ".." || e.name.front() == ' ') __builtin_trap();
  if (line.size() < e.name.size() || line.substr(line.size() - e.name.size()) != e.name) __builtin_trap();
  if (e.is_dir && line.front() != 'd' && line.find("<DIR>") == std::string_view::npos) __builtin_trap();
  const std::string unix_line = std::string(e.is_dir ? "d" : "-") + "rw-r--r-- 1 u g 0 Nov 26 17:00 " + e.name;
  const std::string windows_line = std::string("11-26-26  05:00PM  ") + (e.is_dir ? "<DIR>" : "1234") + "  " + e.name;
  for (const std::string& again : {unix_line, windows_line}) {
    FtpListEntry back;
    if (!ParseFtpListLine(again, back) || back.name != e.name || back.is_dir != e.is_dir) __builtin_trap();
  }
  return 0;
}
