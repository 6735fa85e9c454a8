#include "core/sync_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace telecollect {
namespace {

TEST(SyncDirectory, SyncsADirectoryAndRefusesAnythingElse) {
  char tmpl[] = "/tmp/tc_sync_dir_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  EXPECT_TRUE(SyncDirectory(dir).ok());
  std::ofstream(dir + "/file") << "x";
  const Status not_a_dir = SyncDirectory(dir + "/file");
  EXPECT_EQ(not_a_dir.code(), StatusCode::kIoError);
  EXPECT_EQ(not_a_dir.message().find(dir), std::string::npos) << "no path in errors";
  EXPECT_EQ(SyncDirectory(dir + "/missing").code(), StatusCode::kIoError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace telecollect
