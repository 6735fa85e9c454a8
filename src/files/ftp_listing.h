#pragma once

#include <string>
#include <string_view>

namespace telecollect::files {

// One line of an FTP LIST answer, as Unix-style servers write it
// ("drwxr-xr-x 2 u g 4096 Nov 26 17:00 name", "-rw-r--r-- ... name") or as
// Windows/IIS ones do ("11-26-26  05:00PM  <DIR>  name", "11-26-26  05:00PM  1234 name").
// The name is everything after the fixed fields, inner spaces included.
struct FtpListEntry {
  std::string name;
  bool is_dir = false;
};

// False for lines that name no file or directory to read: blank or unknown
// lines, symbolic links (never followed), "." and "..".
bool ParseFtpListLine(std::string_view line, FtpListEntry& out);

}  // namespace telecollect::files
