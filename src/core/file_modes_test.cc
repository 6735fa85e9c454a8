#include "core/file_modes.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace telecollect {
namespace {

mode_t Mode(const std::string& path) {
  struct stat st{};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class FileModesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tc-file-modes-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(FileModesTest, CreatesAMissingDataDir0700) {
  const mode_t old = ::umask(022);
  auto r = PrivateDataDir(root_ + "/a/data");
  ::umask(old);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Mode(root_ + "/a/data"), 0700u);
  EXPECT_EQ(r->total(), 0u);
}

TEST_F(FileModesTest, NarrowsAWideDataDirTwoLevelsDeep) {
  const std::string d = root_ + "/data";
  std::filesystem::create_directories(d + "/spool/deeper");
  std::ofstream(d + "/telecollect.db") << "x";
  std::ofstream(d + "/spool/f.csv") << "x";
  std::ofstream(d + "/spool/deeper/g.csv") << "x";
  ASSERT_EQ(::symlink("/etc/hostname", (d + "/link").c_str()), 0);
  ::chmod(d.c_str(), 0755);
  ::chmod((d + "/telecollect.db").c_str(), 0644);
  ::chmod((d + "/spool").c_str(), 0775);
  ::chmod((d + "/spool/f.csv").c_str(), 0664);
  ::chmod((d + "/spool/deeper/g.csv").c_str(), 0644);
  auto r = PrivateDataDir(d);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Mode(d), 0700u);
  EXPECT_EQ(Mode(d + "/telecollect.db"), 0600u);
  EXPECT_EQ(Mode(d + "/spool"), 0700u);
  EXPECT_EQ(Mode(d + "/spool/f.csv"), 0600u);
  EXPECT_EQ(Mode(d + "/spool/deeper/g.csv"), 0644u);  // past two levels: not telecollect's
  EXPECT_EQ(r->dirs, 3u);  // data, spool, spool/deeper
  EXPECT_EQ(r->files, 2u);
  // Nothing left to do the second time.
  auto again = PrivateDataDir(d);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->total(), 0u);
}

TEST_F(FileModesTest, RestrictUmaskMakesNewFilesPrivate) {
  const mode_t old = ::umask(022);
  RestrictUmask();
  std::ofstream(root_ + "/new") << "x";
  std::filesystem::create_directory(root_ + "/newdir");
  ::umask(old);
  EXPECT_EQ(Mode(root_ + "/new"), 0600u);
  EXPECT_EQ(Mode(root_ + "/newdir"), 0700u);
}

}  // namespace
}  // namespace telecollect
