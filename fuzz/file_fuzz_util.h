#pragma once
// Shared by the flat-file fuzzers: the input as a file (memfd, no disk), read
// under a profile; checks what must hold whatever the bytes.
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>

#include "files/file_parser.h"

namespace telecollect::files {

class CheckingSink final : public ReadingSink {
 public:
  Status Add(const std::vector<ModuleDef>& modules, std::span<const Reading> readings) override {
    for (const Reading& r : readings) {
      if (r.module >= modules.size() || !std::isfinite(r.value) || !CheckReadingRange(r.ts).ok()) __builtin_trap();
      if (modules[r.module].name.empty()) __builtin_trap();
    }
    return Status::Ok();
  }
};

// Reads `data` as a file under the profile (TOML); traps on a broken invariant.
inline void FuzzFile(const uint8_t* data, size_t size, const char* profile_toml) {
  // One parsed profile per text (a fuzzer may read each input under several).
  static std::map<const char*, Profile> profiles;
  auto it = profiles.find(profile_toml);
  if (it == profiles.end()) {
    Result<Profile> p = LoadProfileString(profile_toml, "fuzz.toml");
    if (!p.ok()) __builtin_trap();
    it = profiles.emplace(profile_toml, *p).first;
  }
  const Profile& profile = it->second;
  const int fd = memfd_create("fuzz-input", 0);
  if (fd < 0) return;
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  CheckingSink sink;
  ImportReport report;
  Status file_error;
  ReadFileInto(path, profile, sink, report, file_error, /*hash=*/true);
  if (report.rows_rejected > report.rows) __builtin_trap();
  if (report.error_count < static_cast<int64_t>(report.errors.size())) __builtin_trap();
  for (const FileIssue& e : report.errors) {
    if (e.message.empty() || e.line < 0) __builtin_trap();
  }
  if (!file_error.ok() && file_error.message().empty()) __builtin_trap();
  close(fd);
}

}  // namespace telecollect::files
