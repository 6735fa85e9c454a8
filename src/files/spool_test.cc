#include "files/spool.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "files/connector.h"

namespace telecollect::files {
namespace {

namespace fs = std::filesystem;

TEST(SpoolTest, RemovesOnlyTheConnectorsDownloadsAndOrphans) {
  char tmpl[] = "/tmp/tc-spool-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  auto touch = [&](const std::string& name) { std::ofstream(dir + "/" + name) << "x"; };
  touch("fetch-acme-123-1");           // acme's, from a killed run
  touch(fs::path(SpoolFileName(dir, "acme", 2)).filename().string());
  touch("fetch-acme-2-" + std::to_string(::getpid()) + "-1");  // connector acme-2's, its process alive
  touch("fetch-999999999-1");          // old naming, process gone
  touch("fetch-other-999999998-4");    // another connector's, process gone
  touch("fetch-" + std::to_string(::getpid()) + "-7");  // old naming, process alive
  touch("notes.txt");
  EXPECT_EQ(RemoveStaleSpoolFiles(dir, "acme"), 4);
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir)) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"fetch-" + std::to_string(::getpid()) + "-7",
                                            "fetch-acme-2-" + std::to_string(::getpid()) + "-1", "notes.txt"}));
  EXPECT_EQ(RemoveStaleSpoolFiles(dir + "/missing", "acme"), 0);
  fs::remove_all(dir);
}

TEST(HostKeyFingerprintTest, TakesSshKeygenOutputAndBareBase64) {
  const std::string b64 = "nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";
  EXPECT_EQ(*NormalizeHostKeySha256("SHA256:" + b64), b64);
  EXPECT_EQ(*NormalizeHostKeySha256(b64), b64);
  EXPECT_EQ(*NormalizeHostKeySha256(b64 + "="), b64);
  EXPECT_FALSE(NormalizeHostKeySha256("MD5:" + b64).ok());
  EXPECT_FALSE(NormalizeHostKeySha256("SHA256:" + b64.substr(1)).ok());
  EXPECT_FALSE(NormalizeHostKeySha256("SHA256:" + b64.substr(1) + "!").ok());
}

}  // namespace
}  // namespace telecollect::files
