#include "core/thread_name.h"

#include <gtest/gtest.h>

#include <thread>

namespace telecollect {
namespace {

TEST(ThreadName, NamesTheCallingThreadOnly) {
  const std::string before = ThisThreadName();
  std::string inside, long_name;
  std::thread([&] {
    NameThisThread("tc-test");
    inside = ThisThreadName();
    NameThisThread("tc-a-name-longer-than-fifteen-bytes");
    long_name = ThisThreadName();
  }).join();
  EXPECT_EQ(inside, "tc-test");
  EXPECT_EQ(long_name, "tc-a-name-longe");  // the first 15 bytes
  EXPECT_EQ(ThisThreadName(), before);
}

}  // namespace
}  // namespace telecollect
