#include "push/auth.h"

#include <gtest/gtest.h>

#include "store/store_test_util.h"

namespace telecollect::push {
namespace {

TEST(TokenFromAuthorizationTest, AcceptedForms) {
  EXPECT_EQ(*TokenFromAuthorization("Basic tc_pre_abc"), "tc_pre_abc");
  EXPECT_EQ(*TokenFromAuthorization("basic   tc_pre_abc "), "tc_pre_abc");
  EXPECT_EQ(*TokenFromAuthorization("Bearer tc_pre_abc"), "tc_pre_abc");
  EXPECT_EQ(*TokenFromAuthorization("Basic " + EncodeBase64("user:tc_pre_abc")), "tc_pre_abc");
  EXPECT_EQ(*TokenFromAuthorization("Basic " + EncodeBase64("tc_pre_abc:")), "tc_pre_abc");
  EXPECT_EQ(*TokenFromAuthorization("Basic sometokenwithoutprefix"), "sometokenwithoutprefix");
  EXPECT_EQ(TokenFromAuthorization("").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(TokenFromAuthorization("Digest x").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(TokenFromAuthorization("Basic ").status().code(), StatusCode::kUnauthenticated);
}

TEST(AuthenticatorTest, KnownRevokedAndUnknownTokens) {
  store::TempDir dir;
  auto s = store::OpenSqliteStore(dir.path() + "/a.db");
  ASSERT_TRUE(s.ok());
  const std::string token = GenerateToken("preprod");
  ASSERT_TRUE((*s)->CreateToken({0, {"acme", Env::kPreprod}, "", HashToken(token), 1, {}}).ok());
  ManualClock clock(1000);
  Authenticator auth(**s, clock, 1000);
  auto scope = auth.Authenticate("Basic " + token);
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_EQ(scope->tenant, "acme");
  EXPECT_EQ(auth.Authenticate("Basic tc_pre_wrong").status().code(), StatusCode::kUnauthenticated);
  Status revoked = (*s)->RevokeToken(TokenFingerprint(HashToken(token)), 2000);
  ASSERT_TRUE(revoked.ok()) << revoked.ToString();
  EXPECT_TRUE(auth.Authenticate("Bearer " + token).ok());  // cached within the TTL
  clock.Advance(1001);
  EXPECT_EQ(auth.Authenticate("Bearer " + token).status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace telecollect::push
