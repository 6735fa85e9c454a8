// Any bytes as a sample file to propose a profile for. Never crashes; a
// proposed profile is valid TOML that loads back to the same profile (written
// again, the same TOML), as POST /v1/files/validate proposes it.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "files/sniff.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect::files;
  const int fd = memfd_create("fuzz-sample", 0);
  if (fd < 0) return 0;
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  auto r = SniffProfile("/proc/self/fd/" + std::to_string(fd));
  if (r.ok()) {
    const std::string proposed = ProfileToToml(r->profile);
    auto back = LoadProfileString(proposed, "sniffed.toml");
    if (!back.ok() || ProfileToToml(*back) != proposed) __builtin_trap();
  } else if (r.status().message().empty()) {
    __builtin_trap();
  }
  close(fd);
  return 0;
}
