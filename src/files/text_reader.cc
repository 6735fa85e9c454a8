#include "files/text_reader.h"

#include <algorithm>
#include <cstring>

namespace telecollect::files {
namespace {

constexpr size_t kSampleSize = 64 * 1024;

// Windows-1252 code points for bytes 0x80..0x9F (0 = undefined, kept as U+FFFD).
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

void AppendCodePoint(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

}  // namespace

Result<Encoding> ParseEncoding(std::string_view n) {
  std::string s(n);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(c == '_' ? '-' : std::tolower(c)); });
  if (s == "auto" || s.empty()) return Encoding::kAuto;
  if (s == "utf-8" || s == "utf8") return Encoding::kUtf8;
  if (s == "windows-1252" || s == "cp1252" || s == "win-1252") return Encoding::kWindows1252;
  if (s == "latin-1" || s == "latin1" || s == "iso-8859-1" || s == "iso-8859-15") return Encoding::kLatin1;
  if (s == "utf-16le" || s == "utf-16") return Encoding::kUtf16Le;
  if (s == "utf-16be") return Encoding::kUtf16Be;
  return Status::InvalidArgument("unknown encoding \"" + std::string(n) +
                                 "\" (auto, utf-8, windows-1252, latin-1, utf-16le, utf-16be)");
}

const char* EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kAuto: return "auto";
    case Encoding::kUtf8: return "utf-8";
    case Encoding::kWindows1252: return "windows-1252";
    case Encoding::kLatin1: return "latin-1";
    case Encoding::kUtf16Le: return "utf-16le";
    case Encoding::kUtf16Be: return "utf-16be";
  }
  return "?";
}

bool IsValidUtf8(std::string_view t, bool allow_truncated_end) {
  const auto* p = reinterpret_cast<const unsigned char*>(t.data());
  const auto* end = p + t.size();
  while (p < end) {
    // Fast path over ASCII, 8 bytes at a time.
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p >= end) break;
    const unsigned char c = *p;
    if (c < 0x80) { ++p; continue; }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return false;
    if (end - p < len) return allow_truncated_end && [&] {
      for (const unsigned char* q = p + 1; q < end; ++q) if ((*q & 0xC0) != 0x80) return false;
      return true;
    }();
    for (int i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    p += len;
  }
  return true;
}

void AppendSingleByteAsUtf8(std::string_view text, Encoding e, std::string& out) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += ch;
    } else if (c < 0xA0 && e == Encoding::kWindows1252) {
      const uint16_t cp = kCp1252High[c - 0x80];
      AppendCodePoint(cp == 0 ? 0xFFFD : cp, out);
    } else {
      AppendCodePoint(c, out);
    }
  }
}

Status TextReader::Start() {
  started_ = true;
  pending_.resize(kSampleSize);
  size_t filled = 0;
  while (filled < kSampleSize) {
    TC_ASSIGN_OR_RETURN(size_t got, file_.Read(pending_.data() + filled, kSampleSize - filled));
    if (got == 0) break;
    filled += got;
  }
  pending_.resize(filled);
  const auto starts = [&](std::string_view bom) { return pending_.compare(0, bom.size(), bom) == 0; };
  if (starts("\xEF\xBB\xBF")) {
    had_bom_ = true;
    pending_pos_ = 3;
    if (encoding_ == Encoding::kAuto) encoding_ = Encoding::kUtf8;
  } else if (starts("\xFF\xFE")) {
    had_bom_ = true;
    pending_pos_ = 2;
    if (encoding_ == Encoding::kAuto || encoding_ == Encoding::kUtf16Be) encoding_ = Encoding::kUtf16Le;
  } else if (starts("\xFE\xFF")) {
    had_bom_ = true;
    pending_pos_ = 2;
    if (encoding_ == Encoding::kAuto || encoding_ == Encoding::kUtf16Le) encoding_ = Encoding::kUtf16Be;
  }
  if (encoding_ == Encoding::kAuto) {
    encoding_ = IsValidUtf8(pending_, /*allow_truncated_end=*/filled == kSampleSize) ? Encoding::kUtf8
                                                                                       : Encoding::kWindows1252;
  }
  return Status::Ok();
}

Result<size_t> TextReader::ReadRaw(char* buf, size_t cap) {
  if (pending_pos_ < pending_.size()) {
    const size_t n = std::min(cap, pending_.size() - pending_pos_);
    std::memcpy(buf, pending_.data() + pending_pos_, n);
    pending_pos_ += n;
    if (pending_pos_ == pending_.size()) {
      pending_.clear();
      pending_.shrink_to_fit();
      pending_pos_ = 0;
    }
    return n;
  }
  return file_.Read(buf, cap);
}

Result<size_t> TextReader::Read(char* buf, size_t cap) {
  if (!started_) TC_RETURN_IF_ERROR(Start());
  if (encoding_ == Encoding::kUtf8) return ReadRaw(buf, cap);
  // Transcode: read at most cap/4 raw bytes (a byte grows to at most 3 UTF-8
  // bytes; a UTF-16 unit pair to 4) and expand into buf.
  std::string out;
  out.reserve(cap);
  while (out.empty()) {
    raw_.resize(std::max<size_t>(cap / 4, 4));
    TC_ASSIGN_OR_RETURN(size_t got, ReadRaw(raw_.data(), raw_.size()));
    if (got == 0) {
      if (!carry_.empty()) {
        carry_.clear();
        AppendCodePoint(0xFFFD, out);  // a truncated last character
        break;
      }
      return size_t{0};
    }
    raw_.resize(got);
    if (encoding_ == Encoding::kWindows1252 || encoding_ == Encoding::kLatin1) {
      AppendSingleByteAsUtf8(raw_, encoding_, out);
      continue;
    }
    std::string units = carry_ + raw_;
    carry_.clear();
    const bool le = encoding_ == Encoding::kUtf16Le;
    size_t i = 0;
    for (; i + 1 < units.size(); i += 2) {
      const auto b0 = static_cast<unsigned char>(units[i]), b1 = static_cast<unsigned char>(units[i + 1]);
      uint32_t u = le ? (b0 | (b1 << 8)) : ((b0 << 8) | b1);
      if (u >= 0xD800 && u <= 0xDBFF) {
        if (i + 3 >= units.size()) break;  // the pair continues in the next read
        const auto c0 = static_cast<unsigned char>(units[i + 2]), c1 = static_cast<unsigned char>(units[i + 3]);
        const uint32_t lo = le ? (c0 | (c1 << 8)) : ((c0 << 8) | c1);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
          i += 2;
        } else {
          u = 0xFFFD;
        }
      } else if (u >= 0xDC00 && u <= 0xDFFF) {
        u = 0xFFFD;
      }
      AppendCodePoint(u, out);
    }
    carry_ = units.substr(i);
  }
  std::memcpy(buf, out.data(), out.size());
  return out.size();
}

}  // namespace telecollect::files
