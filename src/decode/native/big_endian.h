#pragma once

#include <cstdint>

namespace telecollect::decode {

// Big-endian reads for native decoders; the caller has checked the length.
inline uint32_t BeU16(const uint8_t* p) { return static_cast<uint32_t>(p[0]) << 8 | p[1]; }
inline int32_t BeS16(const uint8_t* p) { return static_cast<int16_t>(BeU16(p)); }
inline uint32_t BeU24(const uint8_t* p) { return static_cast<uint32_t>(p[0]) << 16 | BeU16(p + 1); }
inline uint32_t BeU32(const uint8_t* p) { return static_cast<uint32_t>(p[0]) << 24 | BeU24(p + 1); }
inline int32_t BeS32(const uint8_t* p) { return static_cast<int32_t>(BeU32(p)); }

}  // namespace telecollect::decode
