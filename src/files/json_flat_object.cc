#include "files/json_flat_object.h"

#include <array>
#include <charconv>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <simdjson.h>

#include "files/number_format.h"

namespace telecollect::files {
namespace {

// Bytes a string's scan stops at: its end, an escape, a control character
// (not allowed raw in JSON strings) and non-ASCII (UTF-8 to check).
constexpr std::array<bool, 256> kStringStops = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<size_t>(c)] = true;
  for (int c = 0x80; c < 0x100; ++c) t[static_cast<size_t>(c)] = true;
  t['"'] = t['\\'] = true;
  return t;
}();

inline bool IsDigit(char c) { return static_cast<unsigned>(c - '0') <= 9; }

class FlatReader {
 public:
  explicit FlatReader(std::string_view text) : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  // The object at the start; its length, 0 if not flat.
  size_t Object(std::vector<JsonMember>& members) {
    members.clear();
    if (!Take('{')) return 0;
    SkipSpace();
    if (!Take('}')) {
      while (true) {
        JsonMember& m = members.emplace_back();
        if (!String(m.key)) return 0;
        SkipSpace();
        if (!Take(':')) return 0;
        SkipSpace();
        if (!Scalar(m.value)) return 0;
        SkipSpace();
        if (Take(',')) {
          SkipSpace();
          continue;
        }
        if (Take('}')) break;
        return 0;
      }
    }
    const auto length = static_cast<size_t>(p_ - begin_);
    if (non_ascii_ && !simdjson::validate_utf8(begin_, length)) return 0;
    return length;
  }

  void SkipSpace() {
    if (p_ < end_ && static_cast<unsigned char>(*p_) > ' ') return;  // mostly none
    for (; p_ < end_; ++p_) {
      const char c = *p_;
      if (c == '\n') ++newlines_;
      else if (c != ' ' && c != '\r' && c != '\t') break;
    }
  }
  bool AtEnd() const { return p_ == end_; }
  int64_t newlines() const { return newlines_; }

 private:
  bool Take(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  // The next byte from p_ on that ends a string's plain run (kStringStops); end_ if none.
  const char* NextStop(const char* p) const {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(' ');
    for (; end_ - p >= 16; p += 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      // Signed: below ' ' is a control character or a byte >= 0x80.
      const __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                                        _mm_cmplt_epi8(x, space));
      if (const int m = _mm_movemask_epi8(stop); m != 0) return p + __builtin_ctz(static_cast<unsigned>(m));
    }
#endif
    while (p < end_ && !kStringStops[static_cast<unsigned char>(*p)]) ++p;
    return p;
  }
  bool String(std::string_view& out) {
    if (!Take('"')) return false;
    const char* const start = p_;
    while (true) {
      p_ = NextStop(p_);
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') break;
      if (c < 0x80) return false;  // an escape or a control character
      non_ascii_ = true;           // checked as UTF-8 once the object is read
      ++p_;
    }
    out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }
  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }
  bool Scalar(JsonValue& v) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '"': v.kind = JsonValue::Kind::kString; return String(v.text);
      case 't': v.kind = JsonValue::Kind::kTrue; return Literal("true");
      case 'f': v.kind = JsonValue::Kind::kFalse; return Literal("false");
      case 'n': v.kind = JsonValue::Kind::kNull; return Literal("null");
      default: return Number(v);
    }
  }
  // RFC 8259's grammar, then the value as simdjson holds it: an integer in
  // int64 (else uint64; beyond, simdjson rejects it), anything else a finite
  // double, correctly rounded by both.
  bool Number(JsonValue& v) {
    const char* const start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_ || !IsDigit(*p_)) return false;
    // The digits' value, while there are at most 15 of them (kExactPow10).
    uint64_t mantissa = 0;
    int digits = 0;
    const auto digit_run = [&] {
      for (; p_ < end_ && IsDigit(*p_); ++p_, ++digits) mantissa = mantissa * 10 + static_cast<uint64_t>(*p_ - '0');
    };
    if (*p_ == '0') {
      ++p_;
      digits = 1;
    } else {
      digit_run();
    }
    int fraction = 0;
    bool integer = true;
    if (p_ < end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      const int before = digits;
      digit_run();
      fraction = digits - before;
    }
    bool exponent = false;
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      exponent = true;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    if (integer) {
      if (digits <= 18) {  // fits int64 as it is
        v.kind = JsonValue::Kind::kInt64;
        v.i64 = negative ? -static_cast<int64_t>(mantissa) : static_cast<int64_t>(mantissa);
        v.number = static_cast<double>(v.i64);
        return true;
      }
      if (std::from_chars(start, p_, v.i64).ec == std::errc()) {
        v.kind = JsonValue::Kind::kInt64;
        v.number = static_cast<double>(v.i64);
        return true;
      }
      if (negative || std::from_chars(start, p_, v.u64).ec != std::errc()) return false;
      v.kind = JsonValue::Kind::kUint64;
      v.number = static_cast<double>(v.u64);
      return true;
    }
    v.kind = JsonValue::Kind::kDouble;
    if (!exponent && digits <= kExactDigits) {
      const double magnitude = static_cast<double>(mantissa) / kExactPow10[fraction];
      v.number = negative ? -magnitude : magnitude;
      return true;
    }
    // The text is a JSON number: ParseNumber reads it as fast_float would.
    return ParseNumber(std::string_view(start, static_cast<size_t>(p_ - start)), NumberFormat{}, v.number);
  }

  const char* const begin_;
  const char* p_;
  const char* const end_;
  int64_t newlines_ = 0;
  bool non_ascii_ = false;
};

}  // namespace

size_t ReadFlatJsonObject(std::string_view text, std::vector<JsonMember>& members, int64_t& newlines) {
  FlatReader reader(text);
  const size_t length = reader.Object(members);
  newlines = reader.newlines();
  return length;
}

bool ParseFlatJsonObject(std::string_view text, std::vector<JsonMember>& members) {
  const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  int64_t newlines = 0;
  return !text.empty() && ReadFlatJsonObject(text, members, newlines) == text.size();
}

}  // namespace telecollect::files
