#pragma once

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace telecollect::files {

// A file with the given bytes, removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::string& bytes, const std::string& suffix = ".txt") {
    std::string tmpl = "/tmp/telecollect-test-XXXXXX" + suffix;
    const int fd = mkstemps(tmpl.data(), static_cast<int>(suffix.size()));
    if (fd >= 0) ::close(fd);
    path_ = tmpl;
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace telecollect::files
