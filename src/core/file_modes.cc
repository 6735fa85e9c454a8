#include "core/file_modes.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace telecollect {
namespace fs = std::filesystem;

void RestrictUmask() { ::umask(077); }

namespace {

// Clears group/other bits of `p` (not following a link). True when changed.
Result<bool> Narrow(const fs::path& p, bool is_dir) {
  struct stat st{};
  if (::lstat(p.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;  // gone meanwhile (a spool file, a WAL)
    return Status::IoError("cannot stat " + p.string() + ": " + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode) || (st.st_mode & 077) == 0 || st.st_uid != ::geteuid()) return false;
  const mode_t want = (st.st_mode & 07700) & (is_dir ? 07700 : 07600);
  if (::chmod(p.c_str(), want) != 0) {
    return Status::IoError("cannot narrow the mode of " + p.string() + ": " + std::strerror(errno));
  }
  return true;
}

}  // namespace

Result<TightenedModes> PrivateDataDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    const mode_t old = ::umask(077);
    fs::create_directories(dir, ec);
    ::umask(old);
    if (ec) return Status::IoError("cannot create the data dir " + dir + ": " + ec.message());
  }
  TightenedModes out;
  TC_ASSIGN_OR_RETURN(bool top, Narrow(dir, true));
  out.dirs += top ? 1 : 0;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_symlink(st)) continue;
    const bool is_dir = fs::is_directory(st);
    if (is_dir && it.depth() >= 1) it.disable_recursion_pending();  // what telecollect makes is 2 deep at most
    TC_ASSIGN_OR_RETURN(bool changed, Narrow(it->path(), is_dir));
    (is_dir ? out.dirs : out.files) += changed ? 1 : 0;
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::IoError("cannot list the data dir " + dir + ": " + ec.message());
  }
  return out;
}

}  // namespace telecollect
