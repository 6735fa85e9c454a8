#include "core/secret_box.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace telecollect {
namespace {

class SecretBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tc-secret-box-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static mode_t Mode(const std::string& path) {
    struct stat st{};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  std::string dir_;
};

TEST_F(SecretBoxTest, SealsAndOpensWithTheSameKeyAndContext) {
  auto box = SecretBox::FromKeyFile(dir_ + "/state.key");
  ASSERT_TRUE(box.ok()) << box.status().ToString();
  const std::string sealed = box->Seal("r-42 refresh token", "connector_state\0enedis\0refresh_token");
  EXPECT_TRUE(SecretBox::IsSealed(sealed));
  EXPECT_EQ(sealed.find("r-42"), std::string::npos) << sealed;
  auto plain = box->Open(sealed, "connector_state\0enedis\0refresh_token");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, "r-42 refresh token");
  // A fresh nonce per value: the same secret never seals to the same text.
  EXPECT_NE(box->Seal("same", "c"), box->Seal("same", "c"));
  EXPECT_EQ(*box->Open(box->Seal("", "c"), "c"), "");
  EXPECT_FALSE(SecretBox::IsSealed("r-42 refresh token"));
}

TEST_F(SecretBoxTest, KeyFileIsCreatedOnceWithMode0600AndReadBack) {
  const std::string path = dir_ + "/state.key";
  auto first = SecretBox::FromKeyFile(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(Mode(path), 0600u);
  auto again = SecretBox::FromKeyFile(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->key_id(), again->key_id());
  EXPECT_EQ(*again->Open(first->Seal("x", "c"), "c"), "x");
  // No temporary file left behind.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(SecretBoxTest, AWideKeyFileIsNarrowedTo0600) {
  const std::string path = dir_ + "/state.key";
  ASSERT_TRUE(SecretBox::FromKeyFile(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  bool tightened = false;
  ASSERT_TRUE(SecretBox::FromKeyFile(path, &tightened).ok());
  EXPECT_TRUE(tightened);
  EXPECT_EQ(Mode(path), 0600u);
}

TEST_F(SecretBoxTest, TamperingIsDetected) {
  auto box = SecretBox::FromKeyFile(dir_ + "/state.key");
  ASSERT_TRUE(box.ok());
  const std::string sealed = box->Seal("refresh-token-value", "ctx");
  // Flip one base64 character of the ciphertext (well past the prefix and key id).
  for (size_t at : {sealed.size() - 3, sealed.size() / 2 + 7, size_t{20}}) {
    std::string bad = sealed;
    bad[at] = bad[at] == 'A' ? 'B' : 'A';
    auto opened = box->Open(bad, "ctx");
    ASSERT_FALSE(opened.ok()) << "byte " << at;
    EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument) << opened.status().ToString();
  }
  // Moved to another row: the context is authenticated.
  auto moved = box->Open(sealed, "other ctx");
  ASSERT_FALSE(moved.ok());
  EXPECT_NE(moved.status().message().find("fails authentication"), std::string::npos) << moved.status().ToString();
  // Cut short, or not sealed at all.
  EXPECT_FALSE(box->Open(sealed.substr(0, 20), "ctx").ok());
  EXPECT_EQ(box->Open("plain", "ctx").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SecretBoxTest, AnotherKeyGivesAClearError) {
  auto one = SecretBox::FromKeyFile(dir_ + "/one.key");
  auto two = SecretBox::FromKeyFile(dir_ + "/two.key");
  ASSERT_TRUE(one.ok() && two.ok());
  ASSERT_NE(one->key_id(), two->key_id());
  auto opened = two->Open(one->Seal("secret", "ctx"), "ctx");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(opened.status().message().find("another key"), std::string::npos) << opened.status().ToString();
  EXPECT_EQ(opened.status().message().find(dir_), std::string::npos) << "names a server path";
}

TEST_F(SecretBoxTest, AKeyFileThatIsNotAKeyIsRefused) {
  const std::string path = dir_ + "/state.key";
  std::ofstream(path) << "not a key\n";
  auto box = SecretBox::FromKeyFile(path);
  ASSERT_FALSE(box.ok());
  EXPECT_EQ(box.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(box.status().message().find("state.key"), std::string::npos);
  EXPECT_EQ(box.status().message().find(dir_), std::string::npos) << "names a server path";
}

}  // namespace
}  // namespace telecollect
