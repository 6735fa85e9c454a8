// An OAuth2 token endpoint's answer (pull/token_answer.cc, RFC 6749 5.1 and 5.2).
// First byte: the HTTP status class; the rest: the body, read as it comes. An answer has a
// non-empty access token and an expires_in within [0, kMaxTokenLifetimeS]; a refusal names
// the endpoint and, for a 2xx, never repeats the access token it may carry.
// Then the input makes an answer (access token, expires_in as a number or a string, a
// refresh token or none), written with the project's JsonWriter: read back, the same values.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_writer.h"
#include "pull/token_answer.h"

namespace {

std::string Printable(std::string_view in) {
  std::string s;
  for (unsigned char c : in) s += static_cast<char>(0x20 + c % 0x5F);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect;
  using namespace telecollect::pull;
  if (size < 2) return 0;
  static const int kStatuses[] = {200, 201, 204, 299, 400, 401, 403, 500, 503, 302, 100, 0};
  const int status = kStatuses[data[0] % (sizeof(kStatuses) / sizeof(int))];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string endpoint = "https://id.example/token";
  auto t = ReadTokenAnswer(status, body, endpoint);
  if (t.ok()) {
    if (status < 200 || status >= 300 || t->access_token.empty() || t->expires_in_s < 0 ||
        t->expires_in_s > kMaxTokenLifetimeS) {
      __builtin_trap();
    }
  } else {
    const std::string& why = t.status().message();
    if (t.status().code() != StatusCode::kUnauthenticated || why.rfind("token endpoint " + endpoint + " answered ", 0) != 0)
      __builtin_trap();
  }

  // A well-formed answer made of the input.
  const size_t third = (size - 1) / 3;
  const std::string access = "at" + Printable(body.substr(0, third));
  const std::string refresh = Printable(body.substr(third, third));
  const int64_t expires = static_cast<int64_t>(data[0]) * 977 - 20000;
  JsonWriter w;
  w.BeginObject();
  w.Key("token_type").String("Bearer");
  w.Key("access_token").String(access);
  if (data[0] & 1) w.Key("expires_in").Int(expires);
  else w.Key("expires_in").String(std::to_string(expires));
  if (!refresh.empty()) w.Key("refresh_token").String(refresh);
  w.Key("scope").String(Printable(body.substr(2 * third)));
  w.EndObject();
  const std::string answer = w.Take();
  auto back = ReadTokenAnswer(200, answer, endpoint);
  if (!back.ok() || back->access_token != access || back->refresh_token != refresh ||
      back->expires_in_s != (expires < 0 ? 0 : expires)) {
    __builtin_trap();
  }
  // The same answer as an error status: refused, and the access token is not in the message.
  auto refused = ReadTokenAnswer(400, answer, endpoint);
  if (refused.ok() || (access.size() >= 8 && refused.status().message().find(access) != std::string::npos)) __builtin_trap();
  return 0;
}
