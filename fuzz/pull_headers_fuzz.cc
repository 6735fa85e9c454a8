// The headers a vendor API answers with that steer a pull run: Retry-After (seconds or an HTTP
// date) and Link (rel="next"). First byte: which one; the rest: the header value.
// Properties: a Retry-After is -1 (unreadable) or a delay >= 0, and digits alone are read as
// that many seconds; a next link is the text between one '<' and its '>', and a link written
// back as `<X>; rel="next"` (X without <, >, ',') is found again.
#include <cstdint>
#include <string>
#include <string_view>

#include "pull/http_client.h"
#include "pull/pacer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect::pull;
  if (size < 1) return 0;
  const std::string value(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    const int64_t now = 1'790'000'000'000;  // 2026-09
    const int64_t ms = ParseRetryAfterMs(value, now);
    if (ms < -1) __builtin_trap();
    if (!value.empty() && value.size() <= 9 && value.find_first_not_of("0123456789") == std::string::npos &&
        ms != std::stoll(value) * 1000) {
      __builtin_trap();
    }
    return 0;
  }
  const std::string next = NextLink(value);
  if (!next.empty()) {
    const size_t at = value.find("<" + next + ">");
    if (at == std::string::npos || next.find('>') != std::string::npos) __builtin_trap();
  }
  if (value.find_first_of("<>,\"") == std::string::npos && !value.empty()) {
    if (NextLink("<" + value + ">; rel=\"next\"") != value) __builtin_trap();
    if (NextLink("<https://x/last>; rel=\"last\", <" + value + ">; rel=\"next\"") != value) __builtin_trap();
  }
  return 0;
}
