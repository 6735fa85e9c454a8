#include "files/xml_tokenizer.h"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <fmt/format.h>

#include "files/number_format.h"

namespace telecollect::files {
namespace {

// Byte classes, one table lookup per byte.
enum : uint8_t { kSpace = 1, kNameEnd = 2, kValueSpecial = 4 };
constexpr std::array<uint8_t, 256> kClass = [] {
  std::array<uint8_t, 256> t{};
  for (unsigned char c : {' ', '\t', '\n', '\r'}) t[c] |= kSpace | kNameEnd;
  // Bytes that end a name: whitespace and the markup around names.
  for (unsigned char c : {'/', '>', '=', '<', '"', '\''}) t[c] |= kNameEnd;
  // Bytes that make an attribute value need decoding: references, '<' (an
  // error) and the control characters (line ends and tabs are normalised; the
  // others are not XML, Decode copies them as they are).
  for (unsigned char c : {'&', '<'}) t[c] |= kValueSpecial;
  for (unsigned char c = 0; c < 0x20; ++c) t[c] |= kValueSpecial;
  return t;
}();
inline bool IsSpace(char c) { return kClass[static_cast<unsigned char>(c)] & kSpace; }
inline bool EndsName(char c) { return kClass[static_cast<unsigned char>(c)] & kNameEnd; }

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

Status XmlTokenizer::Fail(size_t at, const std::string& what) const {
  int64_t line = line_;
  int64_t begin = line_begin_abs_;
  for (size_t i = pos_; i < at && i < end_; ++i) {
    if (buf_[i] == '\n') {
      ++line;
      begin = consumed_ + static_cast<int64_t>(i) + 1;
    }
  }
  const int64_t column = consumed_ + static_cast<int64_t>(at) - begin + 1;
  return Status::InvalidArgument(fmt::format("line {}, column {}: {}", line, column, what));
}

void XmlTokenizer::Advance(size_t to) {
  const char* b = buf_.data();
  const char* p = b + pos_;
  const char* e = b + to;
  if (e - p <= 16) {  // a line end and indentation: no call
    for (; p < e; ++p) {
      if (*p == '\n') {
        ++line_;
        line_begin_abs_ = consumed_ + (p - b) + 1;
      }
    }
  } else {
    while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(e - p)))) != nullptr) {
      ++line_;
      ++p;
      line_begin_abs_ = consumed_ + (p - b);
    }
  }
  pos_ = to;
}

Status XmlTokenizer::Decode(size_t from, size_t to, bool attribute, std::string& out) {
  for (size_t i = from; i < to;) {
    const char c = buf_[i];
    if (c == '&') {
      const size_t lim = std::min(to, i + 14);  // the longest reference: &#x10FFFF; and a few leading zeros
      const void* hit = std::memchr(buf_.data() + i, ';', lim - i);
      if (hit == nullptr) return Fail(i, "'&' not followed by a reference (write &amp;)");
      const size_t semi = static_cast<size_t>(static_cast<const char*>(hit) - buf_.data());
      const std::string_view ref(buf_.data() + i + 1, semi - i - 1);
      if (ref == "lt") out += '<';
      else if (ref == "gt") out += '>';
      else if (ref == "amp") out += '&';
      else if (ref == "quot") out += '"';
      else if (ref == "apos") out += '\'';
      else if (ref.size() >= 2 && ref[0] == '#') {
        const bool hex = ref[1] == 'x';
        const std::string_view digits = ref.substr(hex ? 2 : 1);
        uint32_t cp = 0;
        bool ok = !digits.empty();
        for (char d : digits) {
          int v = d >= '0' && d <= '9' ? d - '0' : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10 : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10 : -1;
          if (v < 0 || cp > 0x10FFFF) {
            ok = false;
            break;
          }
          cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
        }
        if (!ok || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
          return Fail(i, "bad character reference &" + std::string(ref) + ";");
        AppendUtf8(cp, out);
      } else {
        return Fail(i, "undefined entity &" + std::string(ref) + "; (entities declared in a DTD are not supported)");
      }
      i = semi + 1;
      continue;
    }
    if (c == '\r') {  // CRLF and lone CR are line ends
      out += attribute ? ' ' : '\n';
      i += i + 1 < to && buf_[i + 1] == '\n' ? 2 : 1;
      continue;
    }
    if (c == '<' && attribute) return Fail(i, "'<' in an attribute value");
    out += attribute && (c == '\t' || c == '\n') ? ' ' : c;
    ++i;
  }
  return Status::Ok();
}

Status XmlTokenizer::Parse(const Reader& read) {
  buf_.resize(1 << 18);
  while (true) {
    if (pos_ < end_) {
      TC_ASSIGN_OR_RETURN(Need need, Step());
      if (need == Need::kDone) continue;
      if (eof_) return Fail(pos_, "the document ends inside a tag, comment or CDATA section (truncated file?)");
    } else if (eof_) {
      break;
    }
    // More input: drop what is consumed, grow when one token fills the buffer.
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      consumed_ += static_cast<int64_t>(pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    if (end_ == buf_.size()) {
      if (buf_.size() >= kMaxToken) return Fail(pos_, fmt::format("a tag or text longer than {} MiB", kMaxToken >> 20));
      buf_.resize(buf_.size() * 2);
    }
    TC_ASSIGN_OR_RETURN(size_t got, read(buf_.data() + end_, buf_.size() - end_));
    if (got == 0) eof_ = true;
    end_ += got;
  }
  if (!seen_root_) return Fail(end_, "no root element (empty document?)");
  if (!open_.empty()) return Fail(end_, "the document ends before </" + open_.back() + "> (truncated file?)");
  return Status::Ok();
}

Status XmlTokenizer::ParseText(std::string_view text) {
  return Parse([&text](char* buf, size_t cap) -> Result<size_t> {
    const size_t n = std::min(cap, text.size());
    std::memcpy(buf, text.data(), n);
    text.remove_prefix(n);
    return n;
  });
}

Result<XmlTokenizer::Need> XmlTokenizer::Step() {
  if (pos_ >= end_) return Need::kMore;
  token_line_ = line_;
  if (buf_[pos_] == '<') return Markup();
  return TextRun();
}

Result<XmlTokenizer::Need> XmlTokenizer::TextRun() {
  // Between tags there is mostly a line end and some indentation: a plain loop first.
  size_t to = pos_;
  for (const size_t lim = std::min(end_, pos_ + 32); to < lim && buf_[to] != '<'; ++to) {
  }
  if (to < end_ && buf_[to] != '<') {
    const void* lt = std::memchr(buf_.data() + to, '<', end_ - to);
    to = lt ? static_cast<size_t>(static_cast<const char*>(lt) - buf_.data()) : end_;
  }
  if (to >= end_ && !eof_) return Need::kMore;
  if (open_.empty()) {
    for (size_t i = pos_; i < to; ++i) {
      if (!IsSpace(buf_[i])) return Fail(i, root_closed_ ? "text after the root element" : "text before the root element");
    }
    Advance(to);
    return Need::kDone;
  }
  const std::string_view raw(buf_.data() + pos_, to - pos_);
  if (raw.find_first_of("&\r") == std::string_view::npos) {
    TC_RETURN_IF_ERROR(handler_.OnText(raw));
  } else {
    decoded_.clear();
    TC_RETURN_IF_ERROR(Decode(pos_, to, false, decoded_));
    TC_RETURN_IF_ERROR(handler_.OnText(decoded_));
  }
  Advance(to);
  return Need::kDone;
}

Result<XmlTokenizer::Need> XmlTokenizer::Markup() {
  const size_t lt = pos_;
  const std::string_view rest(buf_.data() + lt, end_ - lt);
  auto skip_to = [&](std::string_view close, size_t from) -> Result<Need> {
    const size_t at = rest.find(close, from);
    if (at == std::string_view::npos) return Need::kMore;
    Advance(lt + at + close.size());
    return Need::kDone;
  };
  if (rest.size() < 2) return Need::kMore;
  if (rest[1] == '?') return skip_to("?>", 2);
  if (rest[1] == '/') return EndTag(lt);
  if (rest[1] != '!') return StartTag(lt);
  if (rest.substr(0, 4) == "<!--") return skip_to("-->", 4);
  if (rest.size() < 9) return Need::kMore;  // "<![CDATA[" or "<!DOCTYPE" not all in yet
  if (rest.substr(0, 9) == "<![CDATA[") {
    if (open_.empty()) return Fail(lt, "CDATA outside the root element");
    const size_t at = rest.find("]]>", 9);
    if (at == std::string_view::npos) return Need::kMore;
    TC_RETURN_IF_ERROR(handler_.OnText(rest.substr(9, at - 9)));
    Advance(lt + at + 3);
    return Need::kDone;
  }
  if (rest.substr(0, 9) == "<!DOCTYPE") {
    if (seen_root_) return Fail(lt, "DOCTYPE after the root element");
    // Up to the '>' outside quotes and outside the internal subset [...].
    char quote = 0;
    int bracket = 0;
    for (size_t i = 9; i < rest.size(); ++i) {
      const char c = rest[i];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '<' && rest.substr(i, 4) == "<!--") {  // a comment in the internal subset
        const size_t end = rest.find("-->", i + 4);
        if (end == std::string_view::npos) return Need::kMore;
        i = end + 2;
      } else if (c == '[') {
        ++bracket;
      } else if (c == ']') {
        --bracket;
      } else if (c == '>' && bracket <= 0) {
        Advance(lt + i + 1);
        return Need::kDone;
      }
    }
    return Need::kMore;
  }
  return Fail(lt, "unexpected '<!'");
}

Result<XmlTokenizer::Need> XmlTokenizer::EndTag(size_t lt) {
  const void* gt = std::memchr(buf_.data() + lt, '>', end_ - lt);
  if (gt == nullptr) return Need::kMore;
  const size_t close = static_cast<size_t>(static_cast<const char*>(gt) - buf_.data());
  size_t name_end = lt + 2;
  while (name_end < close && !EndsName(buf_[name_end])) ++name_end;
  const std::string_view name(buf_.data() + lt + 2, name_end - lt - 2);
  for (size_t i = name_end; i < close; ++i) {
    if (!IsSpace(buf_[i])) return Fail(i, "unexpected character in an end tag");
  }
  if (open_.empty()) return Fail(lt, "end tag </" + std::string(name) + "> without a start tag");
  if (name != open_.back()) return Fail(lt, "</" + std::string(name) + "> closes <" + open_.back() + ">");
  TC_RETURN_IF_ERROR(handler_.OnEnd(name));
  open_.pop_back();
  if (open_.empty()) root_closed_ = true;
  Advance(close + 1);
  return Need::kDone;
}

namespace {
// The index of the first `q` in b[from, end) (end if none), and whether a byte
// before it needs decoding. Returned in registers and inlined: it runs for
// every attribute value.
struct ValueEnd {
  size_t at;
  bool special;
};
[[gnu::always_inline]] inline ValueEnd FindValueEnd(const char* b, size_t from, size_t end, char q) {
  size_t k = from;
  bool special = false;
#if defined(__SSE2__)
  // Special: '&', '<' and the control characters (\r, \n, \t; the others are
  // not XML, and Decode copies them as they are): x <= 0x1F, unsigned.
  const __m128i vq = _mm_set1_epi8(q), amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<'), control = _mm_set1_epi8(0x1F);
  for (; k + 16 <= end; k += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + k));
    const unsigned quotes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, vq)));
    const unsigned specials = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, amp), _mm_cmpeq_epi8(x, lt)),
                     _mm_cmpeq_epi8(_mm_min_epu8(x, control), x))));
    if (quotes != 0) {
      const unsigned at = static_cast<unsigned>(__builtin_ctz(quotes));
      special = special || (specials & ((1u << at) - 1)) != 0;
      return {k + at, special};
    }
    if (specials != 0) special = true;
  }
#endif
  uint8_t seen = 0;
  for (; k < end && b[k] != q; ++k) seen |= kClass[static_cast<unsigned char>(b[k])];
  special = special || (seen & kValueSpecial) != 0;
  return {k, special};
}
}  // namespace

std::optional<Result<XmlTokenizer::Need>> XmlTokenizer::ShapedStartTag(size_t lt) {
  const char* b = buf_.data();
  const size_t n = shape_.names.size();
  size_t i = lt;
  for (size_t k = 0;; ++k) {
    const std::string& seg = shape_.segments[k];
    if (i + seg.size() > end_ || !SameText(std::string_view(b + i, seg.size()), seg)) return std::nullopt;
    if (k == n) {
      i += seg.size() - 1;  // on the '>'
      break;
    }
    const size_t value_start = i + seg.size();
    const auto [value_end, special] = FindValueEnd(b, value_start, end_, seg.back());  // the segment ends with the opening quote
    if (special || value_end >= end_) return std::nullopt;
    // attrs_ has the slots (the shape's tag filled them); the names are the shape's.
    attrs_[k] = {shape_.names[k], std::string_view(b + value_start, value_end - value_start)};
    i = value_end;
  }
  n_attrs_ = n;
  return FinishStartTag(lt, std::string_view(b + lt + 1, shape_.name_len), i, shape_.empty, true);
}

Result<XmlTokenizer::Need> XmlTokenizer::StartTag(size_t lt) {
  if (shape_.valid) {
    if (auto done = ShapedStartTag(lt)) return std::move(*done);
  }
  // One pass over the tag; kMore (and nothing done) if it is not all in the buffer.
  const char* b = buf_.data();
  bool any_special = false;
  size_t i = lt + 1;
  while (i < end_ && !EndsName(b[i])) ++i;
  if (i >= end_) return Need::kMore;
  const std::string_view name(b + lt + 1, i - lt - 1);
  if (name.empty()) return Fail(lt + 1, "'<' not followed by an element name");
  n_attrs_ = 0;
  decoded_.clear();
  bool empty = false;
  while (true) {
    const size_t before = i;
    while (i < end_ && IsSpace(b[i])) ++i;
    if (i >= end_) return Need::kMore;
    if (b[i] == '>') break;
    if (b[i] == '/') {
      if (i + 1 >= end_) return Need::kMore;
      if (b[i + 1] != '>') return Fail(i, "'/' not followed by '>'");
      empty = true;
      ++i;
      break;
    }
    if (i == before) return Fail(i, "attributes must be separated by whitespace");
    const size_t name_start = i;
    while (i < end_ && !EndsName(b[i])) ++i;
    if (i >= end_) return Need::kMore;
    if (i == name_start) return Fail(i, fmt::format("unexpected '{}' in <{}>", b[i], name));
    const std::string_view attr(b + name_start, i - name_start);
    while (i < end_ && IsSpace(b[i])) ++i;
    if (i >= end_) return Need::kMore;
    if (b[i] != '=') return Fail(i, "attribute " + std::string(attr) + " without '=\"value\"'");
    ++i;
    while (i < end_ && IsSpace(b[i])) ++i;
    if (i >= end_) return Need::kMore;
    if (b[i] != '"' && b[i] != '\'') return Fail(i, "attribute " + std::string(attr) + ": value not quoted");
    const char q = b[i];
    const size_t value_start = ++i;
    // The closing quote, and whether the value needs decoding on the way.
    const auto [k, special] = FindValueEnd(b, value_start, end_, q);
    if (k >= end_) return Need::kMore;
    const size_t value_end = k;
    for (size_t a = 0; a < n_attrs_; ++a) {
      if (attrs_[a].name == attr) return Fail(name_start, "attribute " + std::string(attr) + " given twice");
    }
    any_special = any_special || special;
    if (!special) {
      AddAttribute(attr, std::string_view(b + value_start, value_end - value_start), std::string::npos, 0);
    } else {
      const size_t at = decoded_.size();
      TC_RETURN_IF_ERROR(Decode(value_start, value_end, true, decoded_));
      AddAttribute(attr, {}, at, decoded_.size() - at);
    }
    i = value_end + 1;
  }
  const size_t close = i;  // on the '>'
  // This tag's layout, for the next one (see TagShape). With no value
  // decoded, every attribute's name and value are views into buf_.
  shape_.valid = !any_special;
  if (shape_.valid) {
    const size_t n = n_attrs_;
    // Sized first: a segment's bytes (and the name viewed in them) do not
    // move while the others are assigned.
    shape_.segments.resize(n + 1);
    shape_.names.resize(n);
    size_t from = lt;
    for (size_t k = 0; k < n; ++k) {
      const size_t name_at = static_cast<size_t>(attrs_[k].name.data() - b);
      const size_t value_at = static_cast<size_t>(attrs_[k].value.data() - b);
      shape_.segments[k].assign(b + from, value_at - from);
      shape_.names[k] = std::string_view(shape_.segments[k]).substr(name_at - from, attrs_[k].name.size());
      from = value_at + attrs_[k].value.size();
    }
    shape_.segments[n].assign(b + from, close + 1 - from);
    shape_.name_len = name.size();
    shape_.empty = empty;
    shape_.newlines = std::any_of(shape_.segments.begin(), shape_.segments.end(),
                                  [](const std::string& seg) { return seg.find('\n') != std::string::npos; });
    ++shape_id_;
  }
  return FinishStartTag(lt, name, close, empty, false);
}

Result<XmlTokenizer::Need> XmlTokenizer::FinishStartTag(size_t lt, std::string_view name, size_t close, bool empty,
                                                        bool shaped) {
  if (root_closed_) return Fail(lt, "a second root element");
  // decoded_ stopped growing: now its views are stable (a shaped tag has nothing decoded).
  for (size_t a = 0; a < (shaped ? 0 : n_attrs_); ++a) {
    if (decoded_spans_[a].first != std::string::npos)
      attrs_[a].value = std::string_view(decoded_).substr(decoded_spans_[a].first, decoded_spans_[a].second);
  }
  if (open_.size() >= kMaxDepth) return Fail(lt, fmt::format("elements nested deeper than {}", kMaxDepth));
  seen_root_ = true;
  tag_is_empty_ = empty;
  TC_RETURN_IF_ERROR(handler_.OnStart(name, std::span<const Attribute>(attrs_.data(), n_attrs_)));
  if (empty) {
    TC_RETURN_IF_ERROR(handler_.OnEnd(name));
    if (open_.empty()) root_closed_ = true;
  } else {
    open_.emplace_back(name);
  }
  if (shaped && !shape_.newlines) pos_ = close + 1;  // no line end in the tag: nothing to count
  else Advance(close + 1);
  return Need::kDone;
}

}  // namespace telecollect::files
