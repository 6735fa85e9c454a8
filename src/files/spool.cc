#include "files/spool.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <fmt/format.h>

namespace telecollect::files {
namespace {

namespace fs = std::filesystem;

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// "<digits>-<digits>": the pid and counter that end a download's name.
bool PidAndCounter(std::string_view rest, long& pid) {
  const size_t dash = rest.find('-');
  if (dash == std::string_view::npos || !AllDigits(rest.substr(0, dash)) || !AllDigits(rest.substr(dash + 1))) return false;
  if (dash > 9) return false;
  pid = std::stol(std::string(rest.substr(0, dash)));
  return true;
}

bool ProcessAlive(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

}  // namespace

std::string SpoolFileName(const std::string& spool_dir, const std::string& connector, int n) {
  return (fs::path(spool_dir) / fmt::format("fetch-{}-{}-{}", connector, ::getpid(), n)).string();
}

int RemoveStaleSpoolFiles(const std::string& spool_dir, const std::string& connector) {
  std::error_code ec;
  int removed = 0;
  const std::string mine = "fetch-" + connector + "-";
  for (auto it = fs::directory_iterator(spool_dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    long pid = 0;
    // Exactly "fetch-<connector>-<pid>-<n>": "fetch-acme-2-..." is connector acme-2's.
    const bool ours = name.rfind(mine, 0) == 0 && PidAndCounter(std::string_view(name).substr(mine.size()), pid);
    // Another connector's, or of the older naming: removed if its process is gone.
    const size_t last_dash = name.rfind('-');
    const size_t pid_dash = last_dash == std::string::npos || last_dash == 0 ? std::string::npos : name.rfind('-', last_dash - 1);
    const bool orphan = !ours && name.rfind("fetch-", 0) == 0 && pid_dash != std::string::npos && pid_dash >= 5 &&
                        PidAndCounter(std::string_view(name).substr(pid_dash + 1), pid) && !ProcessAlive(pid);
    std::error_code rm;
    if ((ours || orphan) && fs::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

}  // namespace telecollect::files
