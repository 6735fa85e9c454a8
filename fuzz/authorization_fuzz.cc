// The Authorization header of every push and API request (push/auth.cc, TokenFromAuthorization).
// The whole input is read as a header: an answer is a non-empty token, a refusal has a message
// that is one of three fixed messages (never the credential). Then the input makes a token and a user name, and the four
// documented forms (docs/push.md) carrying them must each give that token back:
//   Basic <token>, Bearer <token>, Basic base64(user:token), Basic base64(token:).
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/hex.h"
#include "push/auth.h"

namespace {

// Token characters: what `token create` makes ([A-Za-z0-9_]) plus a few more a client may send.
std::string TokenOf(std::string_view in) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.~+/=";
  std::string t = "tc_";
  for (unsigned char c : in) t += kChars[c % (sizeof(kChars) - 1)];
  return t;
}

// A user name: printable ASCII without ':' (RFC 7617) and not starting or ending with blanks.
std::string UserOf(std::string_view in) {
  std::string u;
  for (unsigned char c : in) {
    char ch = static_cast<char>(0x21 + c % 0x5E);
    if (ch == ':') ch = 'u';
    u += ch;
  }
  return u.empty() ? "user" : u;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect;
  using push::TokenFromAuthorization;
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  auto got = TokenFromAuthorization(header);
  if (got.ok()) {
    if (got->empty()) __builtin_trap();
  } else {
    // A refusal is one of the fixed messages: it never echoes what the client sent (a token
    // mistyped is still a secret).
    static const std::string kRefusals[] = {
        "missing Authorization header (Basic <token> or Bearer <token>)",
        "Authorization must be \"Basic <token>\" or \"Bearer <token>\"", "Authorization has no token"};
    if (got.status().code() != StatusCode::kUnauthenticated ||
        std::find(std::begin(kRefusals), std::end(kRefusals), got.status().message()) == std::end(kRefusals)) {
      __builtin_trap();
    }
  }

  const size_t half = size / 2;
  const std::string token = TokenOf(header.substr(0, half));
  const std::string user = UserOf(header.substr(half));
  const std::string forms[] = {"Basic " + token, "Bearer " + token, "basic  " + token + " ", "BEARER  " + token,
                               "Basic " + EncodeBase64(user + ":" + token), "Basic " + EncodeBase64(token + ":")};
  for (const std::string& form : forms) {
    auto t = TokenFromAuthorization(form);
    if (!t.ok() || *t != token) __builtin_trap();
  }
  return 0;
}
