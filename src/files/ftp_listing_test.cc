#include "files/ftp_listing.h"

#include <gtest/gtest.h>

namespace telecollect::files {
namespace {

struct Parsed {
  bool ok;
  std::string name;
  bool is_dir;
};

Parsed Parse(std::string_view line) {
  FtpListEntry e;
  const bool ok = ParseFtpListLine(line, e);
  return {ok, e.name, e.is_dir};
}

TEST(FtpListing, UnixFilesAndDirectories) {
  auto f = Parse("-rw-r--r--    1 partner  partner      1234 Nov 26 17:00 day.csv");
  EXPECT_TRUE(f.ok);
  EXPECT_EQ(f.name, "day.csv");
  EXPECT_FALSE(f.is_dir);
  auto d = Parse("drwxr-xr-x    2 partner  partner      4096 Nov 26  2025 archive");
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.name, "archive");
  EXPECT_TRUE(d.is_dir);
  auto spaced = Parse("-rw-r--r-- 1 u g 10 Nov 26 17:00 relevé du  jour.csv");
  EXPECT_EQ(spaced.name, "relevé du  jour.csv");  // inner spaces kept
}

TEST(FtpListing, WindowsFilesAndDirectories) {
  auto f = Parse("11-26-26  05:00PM                 1234 day.csv");
  EXPECT_TRUE(f.ok);
  EXPECT_EQ(f.name, "day.csv");
  EXPECT_FALSE(f.is_dir);
  auto d = Parse("11-26-26  05:00PM       <DIR>          sub dir");
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.name, "sub dir");
  EXPECT_TRUE(d.is_dir);
}

TEST(FtpListing, LinksDotsAndOtherLinesAreLeftOut) {
  EXPECT_FALSE(Parse("lrwxrwxrwx 1 u g 7 Nov 26 17:00 latest.csv -> day.csv").ok);
  EXPECT_FALSE(Parse("drwxr-xr-x 2 u g 4096 Nov 26 17:00 .").ok);
  EXPECT_FALSE(Parse("drwxr-xr-x 2 u g 4096 Nov 26 17:00 ..").ok);
  EXPECT_FALSE(Parse("11-26-26  05:00PM       <DIR>          ..").ok);
  for (std::string_view line : {"", " ", "total 12", "-rw-r--r-- 1 u g 10 Nov 26 17:00", "-rw-r--r-- 1 u g 10 Nov 26 17:00   ",
                                "11-26-26", "11-26-26  05:00PM", "11-26-26  05:00PM  <DIR>", "11/26/26  05:00PM  12 a.csv",
                                "2026-11-26 05:00 12 a.csv"}) {
    EXPECT_FALSE(Parse(line).ok) << '"' << line << '"';
  }
}

}  // namespace
}  // namespace telecollect::files
