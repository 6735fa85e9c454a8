// Golden cases: each directory under testdata/ holds a profile.toml, one
// input.* file and expected.txt — the readings, errors and warning counts the
// input gives under the profile. TELECOLLECT_UPDATE_GOLDEN=1 rewrites the
// expected files (review the diff before committing).
#include "files/file_parser.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace telecollect::files {
namespace {

namespace fs = std::filesystem;

class CollectSink : public ReadingSink {
 public:
  Status Add(const std::vector<ModuleDef>& modules, std::span<const Reading> readings) override {
    for (const Reading& r : readings) {
      out += fmt::format("{}\t{}\t{}\t{}\n", modules[r.module].name, FormatIso8601(r.ts), r.value, modules[r.module].unit);
    }
    return Status::Ok();
  }
  std::string out;
};

fs::path TestData() {
  const char* root = std::getenv("TELECOLLECT_SOURCE_DIR");
  return fs::path(root ? root : ".") / "src/files/testdata";
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs one case; returns the text to compare with expected.txt.
std::string RunCase(const fs::path& dir) {
  Result<Profile> profile = LoadProfileFile((dir / "profile.toml").string());
  if (!profile.ok()) return "profile error: " + profile.status().message() + "\n";
  fs::path input;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("input", 0) == 0) input = e.path();
  }
  if (input.empty()) return "no input file\n";
  Result<std::unique_ptr<InputFile>> file = InputFile::Open(input.string());
  if (!file.ok()) return "open error: " + file.status().message() + "\n";
  CollectSink sink;
  ImportReport report;
  Status s = ParseFile(**file, *profile, sink, report);
  std::string out = sink.out;
  if (!s.ok()) out += "file error\t" + s.message() + "\n";
  for (const FileIssue& e : report.errors) {
    out += fmt::format("error\t{}{}\t{}\t{}\n", e.part.empty() ? "" : e.part + ":", e.line, e.field, e.message);
  }
  for (const auto& [kind, n] : report.warning_counts) out += fmt::format("warning\t{}\t{}\n", kind, n);
  out += fmt::format("summary\trows={} rejected={} readings={} modules={} encoding={} delimiter={} compression={}\n",
                     report.rows, report.rows_rejected, report.readings, report.modules, report.encoding,
                     report.delimiter, report.compression);
  return out;
}

TEST(FileParserGolden, EveryCase) {
  const fs::path root = TestData();
  ASSERT_TRUE(fs::is_directory(root)) << root;
  const bool update = std::getenv("TELECOLLECT_UPDATE_GOLDEN") != nullptr;
  int cases = 0;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& dir : dirs) {
    ++cases;
    const std::string got = RunCase(dir);
    const fs::path expected = dir / "expected.txt";
    if (update) {
      std::ofstream(expected, std::ios::binary) << got;
      continue;
    }
    EXPECT_EQ(Slurp(expected), got) << "case " << dir.filename();
  }
  EXPECT_GE(cases, 10);
}

}  // namespace
}  // namespace telecollect::files
