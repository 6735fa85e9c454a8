#include "pull/stored_token.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "core/secret_box.h"
#include "store/store_test_util.h"

namespace telecollect::pull {
namespace {

class StoredTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqliteStore(dir_.path() + "/t.db");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    c_.name = "enedis";
    c_.auth.kind = AuthConfig::Kind::kOAuth2RefreshToken;
    c_.auth.state_key_file = dir_.path() + "/state.key";
  }
  std::string Raw(const std::string& connector = "enedis") {
    auto v = store_->GetState(connector, "refresh_token");
    EXPECT_TRUE(v.ok());
    return v.ok() && *v ? **v : std::string();
  }
  store::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  ApiConnector c_;
};

TEST_F(StoredTokenTest, SavedTokenIsSealedAtRestAndLoadsBack) {
  EXPECT_FALSE(std::filesystem::exists(c_.auth.state_key_file));  // created on first need
  auto none = LoadRefreshToken(*store_, c_);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(SaveRefreshToken(*store_, c_, "rt-secret-1").ok());
  EXPECT_TRUE(std::filesystem::exists(c_.auth.state_key_file));
  const std::string raw = Raw();
  EXPECT_TRUE(SecretBox::IsSealed(raw)) << raw;
  EXPECT_EQ(raw.find("rt-secret-1"), std::string::npos);
  auto back = LoadRefreshToken(*store_, c_);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(**back, "rt-secret-1");
}

TEST_F(StoredTokenTest, APlainTokenIsReadOnceAndSealedInPlace) {
  ASSERT_TRUE(store_->PutState("enedis", "refresh_token", "legacy-plain", std::nullopt).ok());
  ApiConnector other = c_;
  other.name = "other";
  other.auth.kind = AuthConfig::Kind::kOAuth2ClientCredentials;  // keeps no refresh token
  auto sealed = SealStoredRefreshTokens(*store_, {c_, other});
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_EQ(*sealed, 1u);
  EXPECT_TRUE(SecretBox::IsSealed(Raw()));
  auto back = LoadRefreshToken(*store_, c_);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(**back, "legacy-plain");
  EXPECT_EQ(*SealStoredRefreshTokens(*store_, {c_}), 0u);  // nothing left to seal
  // Read through LoadRefreshToken, a plain value is sealed as well.
  ASSERT_TRUE(store_->PutState("enedis", "refresh_token", "legacy-2", std::nullopt).ok());
  EXPECT_EQ(**LoadRefreshToken(*store_, c_), "legacy-2");
  EXPECT_TRUE(SecretBox::IsSealed(Raw()));
}

TEST_F(StoredTokenTest, AValueCopiedToAnotherConnectorDoesNotOpen) {
  ASSERT_TRUE(SaveRefreshToken(*store_, c_, "rt").ok());
  ApiConnector other = c_;
  other.name = "other";
  ASSERT_TRUE(store_->PutState("other", "refresh_token", Raw(), std::nullopt).ok());
  auto r = LoadRefreshToken(*store_, other);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fails authentication"), std::string::npos) << r.status().ToString();
}

TEST_F(StoredTokenTest, ALostKeyFileGivesAClearErrorWithoutTheToken) {
  ASSERT_TRUE(SaveRefreshToken(*store_, c_, "rt-secret-2").ok());
  std::filesystem::remove(c_.auth.state_key_file);  // a new key is made: not the one that sealed it
  auto r = LoadRefreshToken(*store_, c_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  const std::string m = r.status().ToString();
  EXPECT_NE(m.find("another key"), std::string::npos) << m;
  EXPECT_NE(m.find("enedis"), std::string::npos) << m;
  EXPECT_EQ(m.find("rt-secret-2"), std::string::npos) << m;
  EXPECT_EQ(m.find(dir_.path()), std::string::npos) << m;
}

}  // namespace
}  // namespace telecollect::pull
