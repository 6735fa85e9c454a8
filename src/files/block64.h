#pragma once
// 64 bytes of text as bit masks (bit i = byte i), for the readers that find
// structure a block at a time (CSV's index of delimiters, JSON's records).
// Only built with SSE2; callers keep a byte-by-byte path for other targets.
#if defined(__SSE2__)
#include <emmintrin.h>

#include <cstdint>

namespace telecollect::files {

struct Block64 {
  explicit Block64(const char* p) {
    for (int k = 0; k < 4; ++k) x[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
  }
  // Bit i set where byte i == c.
  uint64_t Eq(char c) const {
    const __m128i v = _mm_set1_epi8(c);
    return Mask([&](__m128i b) { return _mm_cmpeq_epi8(b, v); });
  }
  // Bit i set where `hit` (16 bytes at a time, 0xFF per hit byte) says so.
  template <typename Hit>
  uint64_t Mask(const Hit& hit) const {
    const auto m = [&](int k) { return static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(hit(x[k])))); };
    return m(0) | m(1) << 16 | m(2) << 32 | m(3) << 48;
  }
  __m128i x[4];
};

}  // namespace telecollect::files
#endif
