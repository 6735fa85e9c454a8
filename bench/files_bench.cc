// Flat-file import benchmark (bench/files.sh drives it).
//   files_bench scan FILE                 reference: a minimal hand-written CSV scan (fields and lines counted)
//   files_bench parse PROFILE FILE        parse only: file → readings (time zone conversion included), discarded
//   files_bench import PROFILE FILE DB    file → committed measurements in a fresh SQLite store (one transaction)
// Prints one line: mode, rows, seconds, rows/s, MB/s, peak RSS (MiB).
#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "files/file_import.h"
#include "files/file_parser.h"
#include "store/sqlite_store.h"

using namespace telecollect;

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double PeakRssMiB() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

int64_t FileSize(const char* path) {
  struct stat st {};
  return stat(path, &st) == 0 ? st.st_size : 0;
}

void Print(const char* mode, int64_t rows, double secs, int64_t bytes) {
  std::printf("%-7s rows=%lld seconds=%.3f rows_per_s=%.0f mb_per_s=%.1f peak_rss_mib=%.1f\n", mode,
              static_cast<long long>(rows), secs, rows / secs, bytes / secs / 1e6, PeakRssMiB());
}

// The raw ceiling: read the file in 1 MiB blocks, count delimiters and newlines.
int Scan(const char* path) {
  std::FILE* f = std::fopen(path, "rb");
  if (!f) return 2;
  std::vector<char> buf(1 << 20);
  int64_t lines = 0, fields = 0;
  const double t0 = Now();
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    for (size_t i = 0; i < n; ++i) {
      lines += buf[i] == '\n';
      fields += buf[i] == ';';
    }
  }
  const double secs = Now() - t0;
  std::fclose(f);
  Print("scan", lines - 1, secs, FileSize(path));
  return fields > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "scan") == 0) return Scan(argv[2]);
  if (argc < 4) {
    std::fprintf(stderr, "usage: files_bench scan FILE | parse PROFILE FILE | import PROFILE FILE DB\n");
    return 2;
  }
  Result<files::Profile> profile = files::LoadProfileFile(argv[2]);
  if (!profile.ok()) {
    std::fprintf(stderr, "%s\n", profile.status().message().c_str());
    return 2;
  }
  const std::string mode = argv[1];
  const char* path = argv[3];
  if (mode == "parse") {
    const double t0 = Now();
    files::ImportReport report = files::ValidateFile(path, *profile);
    const double secs = Now() - t0;
    if (report.error_count > 0) {
      std::fprintf(stderr, "%s", report.ToText().c_str());
      return 1;
    }
    Print("parse", report.readings, secs, FileSize(path));
    return 0;
  }
  if (mode == "import" && argc >= 5) {
    StoreOptions o;
    auto store = store::SqliteStore::Open(o, argv[4]);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().message().c_str());
      return 1;
    }
    const double t0 = Now();
    auto out = files::ImportFile(**store, Scope{"bench", Env::kPreprod}, *profile, path, {"", path, FileSize(path), 0}, 0);
    const double secs = Now() - t0;
    if (!out.ok() || out->kind != files::ImportOutcome::Kind::kImported) {
      std::fprintf(stderr, "import failed: %s\n", out.ok() ? out->report.ToText().c_str() : out.status().message().c_str());
      return 1;
    }
    Print("import", out->record.readings, secs, FileSize(path));
    return 0;
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
