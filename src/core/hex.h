#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace telecollect {

using Bytes = std::vector<uint8_t>;

// Decodes hex text (either case, no separators, optional leading "0x").
// Errors name the offending character position or the odd length.
Result<Bytes> DecodeHex(std::string_view text);

// Lower-case hex of `bytes`.
std::string EncodeHex(const uint8_t* data, size_t size);
inline std::string EncodeHex(const Bytes& bytes) { return EncodeHex(bytes.data(), bytes.size()); }

// Standard base64 (RFC 4648, padding optional on input).
Result<Bytes> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view data);

}  // namespace telecollect
