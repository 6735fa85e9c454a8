#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace telecollect::pull {

// What an OAuth2 token endpoint answered (RFC 6749 5.1), read by TokenAnswer.
struct OAuthToken {
  std::string access_token;      // never empty
  int64_t expires_in_s = 3600;   // expires_in (a number or digits in a string), clamped to [0, 1 year]; 3600 when absent
  std::string refresh_token;     // empty when none was given
};

inline constexpr int64_t kMaxTokenLifetimeS = 366LL * 24 * 3600;

// Reads a token endpoint's answer: HTTP status and body. Not 2xx: kUnauthenticated
// naming the status and the endpoint's error and error_description (RFC 6749 5.2);
// 2xx without a JSON object holding a non-empty access_token: kUnauthenticated too.
// `endpoint` names the endpoint in errors (already redacted). No token ever appears in an error.
Result<OAuthToken> ReadTokenAnswer(int status, std::string_view body, const std::string& endpoint);

}  // namespace telecollect::pull
