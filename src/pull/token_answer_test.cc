#include "pull/token_answer.h"

#include <gtest/gtest.h>

namespace telecollect::pull {
namespace {

TEST(TokenAnswerTest, AccessTokenExpiryAndRotatedRefreshToken) {
  auto t = ReadTokenAnswer(200, R"({"access_token":"at-1","token_type":"Bearer","expires_in":120,"refresh_token":"rt-2"})", "https://id/t");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->access_token, "at-1");
  EXPECT_EQ(t->expires_in_s, 120);
  EXPECT_EQ(t->refresh_token, "rt-2");
  t = ReadTokenAnswer(200, R"({"access_token":"at-1","expires_in":"7200"})", "https://id/t");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->expires_in_s, 7200);
  EXPECT_EQ(t->refresh_token, "");
  EXPECT_EQ(ReadTokenAnswer(200, R"({"access_token":"at-1"})", "e")->expires_in_s, 3600);
}

TEST(TokenAnswerTest, ExpiresInIsClampedSoTheDeadlineCannotOverflow) {
  EXPECT_EQ(ReadTokenAnswer(200, R"({"access_token":"a","expires_in":-5})", "e")->expires_in_s, 0);
  EXPECT_EQ(ReadTokenAnswer(200, R"({"access_token":"a","expires_in":9223372036854775807})", "e")->expires_in_s, kMaxTokenLifetimeS);
  EXPECT_EQ(ReadTokenAnswer(200, R"({"access_token":"a","expires_in":"99999999999999999999"})", "e")->expires_in_s, kMaxTokenLifetimeS);
}

TEST(TokenAnswerTest, RefusalsNameTheStatusAndTheEndpointsErrorButNoToken) {
  auto t = ReadTokenAnswer(400, R"({"error":"invalid_grant","error_description":"refresh token expired","access_token":"at-9"})",
                           "https://id/t");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(t.status().message(), "token endpoint https://id/t answered 400 (invalid_grant: refresh token expired)");
  t = ReadTokenAnswer(200, R"({"token":"at-9"})", "https://id/t");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "token endpoint https://id/t answered without an access_token");
  EXPECT_FALSE(ReadTokenAnswer(200, R"({"access_token":""})", "e").ok());
  EXPECT_FALSE(ReadTokenAnswer(200, "access_token=at-9", "e").ok());
  EXPECT_FALSE(ReadTokenAnswer(200, R"(["at-9"])", "e").ok());
  EXPECT_EQ(ReadTokenAnswer(503, "<html>busy</html>", "e").status().message(), "token endpoint e answered 503");
}

}  // namespace
}  // namespace telecollect::pull
