#include "files/csv_reader.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "files/block64.h"

namespace telecollect::files {
namespace {
constexpr size_t kBufSize = 1 << 20;
constexpr size_t kNpos = static_cast<size_t>(-1);

// Fields per line for one delimiter, quotes respected, over up to 20 lines.
std::vector<int> CountFields(std::string_view s, char delim, char quote) {
  std::vector<int> counts;
  int n = 1;
  bool in_quote = false, any = false;
  for (size_t i = 0; i < s.size() && counts.size() < 20; ++i) {
    const char c = s[i];
    if (c == quote) in_quote = !in_quote;
    else if (!in_quote && c == delim) ++n;
    else if (!in_quote && c == '\n') {
      if (any) counts.push_back(n);
      n = 1;
      any = false;
      continue;
    }
    if (c != '\r') any = true;
  }
  return counts;
}
}  // namespace

char DetectDelimiter(std::string_view sample, char quote) {
  char best = 0;
  double best_score = 0;
  for (const char d : {';', ',', '\t', '|'}) {
    const std::vector<int> counts = CountFields(sample, d, quote);
    if (counts.empty()) continue;
    // The most frequent field count, and how many lines have it.
    // Lines that this delimiter does not split (a preamble) do not count.
    std::map<int, int> freq;
    for (int c : counts) {
      if (c >= 2) ++freq[c];
    }
    if (freq.empty()) continue;
    const auto top = std::max_element(freq.begin(), freq.end(), [](auto& a, auto& b) { return a.second < b.second; });
    const double score = double(top->second) / double(counts.size()) * 1000 + top->first;
    if (score > best_score) {
      best_score = score;
      best = d;
    }
  }
  return best;
}

CsvReader::CsvReader(TextReader& in, Options options) : in_(&in), options_(options) {
  cap_ = kBufSize;
  buf_.reset(new char[cap_]);
}

CsvReader::CsvReader(std::string_view text, Options options) : mem_(text), options_(options) {
  cap_ = kBufSize;
  buf_.reset(new char[cap_]);
}

Status CsvReader::Fill() {
  if (pos_ > 0) {
    std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
    end_ -= pos_;
    consumed_ += pos_;
    pos_ = 0;
  }
  ForgetIndex();
  if (end_ == cap_) {
    if (cap_ >= options_.max_record_bytes)
      return Status::InvalidArgument("line " + std::to_string(line_) + ": record longer than " +
                                     std::to_string(options_.max_record_bytes) + " bytes (unterminated quote?)");
    std::unique_ptr<char[]> bigger(new char[cap_ * 2]);
    std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    cap_ *= 2;
  }
  size_t got = 0;
  if (in_ != nullptr) {
    TC_ASSIGN_OR_RETURN(got, in_->Read(buf_.get() + end_, cap_ - end_));
  } else {
    got = std::min(mem_.size(), cap_ - end_);
    std::memcpy(buf_.get() + end_, mem_.data(), got);
    mem_.remove_prefix(got);
  }
  if (got == 0) eof_ = true;
  end_ += got;
  return Status::Ok();
}

std::string_view CsvReader::Head() {
  if (!started_) {
    started_ = true;
    // Fill the buffer up to 64 KiB for detection.
    while (!eof_ && end_ < 65536) {
      if (!Fill().ok()) break;
    }
  }
  if (consumed_ > 0) return {};
  return std::string_view(buf_.get(), std::min<size_t>(end_, 65536));
}

Result<size_t> CsvReader::FindRecordEnd(bool& has_quote) {
  const char* b = buf_.get();
  const char q = options_.quote;
  const void* nl = std::memchr(b + pos_, '\n', end_ - pos_);
  const size_t line_end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - b) : end_;
  has_quote = q != 0 && std::memchr(b + pos_, q, line_end - pos_) != nullptr;
  if (!has_quote) {
    if (nl != nullptr) return line_end;
    return eof_ ? end_ : kNpos;
  }
  // Quotes: the record ends at the first newline outside quotes.
  bool in_quote = false;
  for (size_t i = pos_; i < end_; ++i) {
    const char c = b[i];
    if (c == q) in_quote = !in_quote;
    else if (c == '\n' && !in_quote) return i;
  }
  if (!eof_) return kNpos;
  if (in_quote) return Status::InvalidArgument("line " + std::to_string(line_) + ": quoted field not closed before the end of the file");
  return end_;
}

Status CsvReader::Split(size_t begin, size_t end, bool has_quote, int64_t line, std::vector<std::string_view>& fields) {
  char* b = buf_.get();
  // CRLF: the CR belongs to the line ending.
  if (end > begin && b[end - 1] == '\r') --end;
  const char d = options_.delimiter;
  if (!has_quote) {
    size_t s = begin;
    while (true) {
      const void* hit = std::memchr(b + s, d, end - s);
      if (hit == nullptr) {
        fields.emplace_back(b + s, end - s);
        return Status::Ok();
      }
      const size_t at = static_cast<size_t>(static_cast<const char*>(hit) - b);
      fields.emplace_back(b + s, at - s);
      s = at + 1;
    }
  }
  const char q = options_.quote;
  size_t i = begin;
  while (true) {
    if (i < end && b[i] == q) {
      // Quoted field: unescape in place (the text only shrinks).
      size_t w = i, r = i + 1;
      while (true) {
        if (r >= end) return Status::InvalidArgument("line " + std::to_string(line) + ": quoted field not closed");
        if (b[r] == q) {
          if (r + 1 < end && b[r + 1] == q) {
            b[w++] = q;
            r += 2;
            continue;
          }
          ++r;
          break;
        }
        b[w++] = b[r++];
      }
      fields.emplace_back(b + i, w - i);
      // Spaces may follow the closing quote; then a delimiter or the end.
      while (r < end && (b[r] == ' ' || b[r] == '\t') && b[r] != d) ++r;
      if (r == end) return Status::Ok();
      if (b[r] != d)
        return Status::InvalidArgument("line " + std::to_string(line) + ", field " + std::to_string(fields.size()) +
                                       ": unexpected character after a closing quote");
      i = r + 1;
      continue;
    }
    size_t s = i;
    while (i < end && b[i] != d) ++i;
    fields.emplace_back(b + s, i - s);
    if (i >= end) return Status::Ok();
    ++i;
  }
}

bool CsvReader::IndexMore() {
  constexpr size_t kWindow = 16 << 10;
  index_.clear();
  next_ = 0;
  size_t to = std::min(end_, indexed_ + kWindow);
  if (!eof_ || to < end_) to = indexed_ + (to - indexed_) / 64 * 64;  // whole blocks, until the last bytes of the input
  if (to == indexed_) return false;
  const char* b = buf_.get();
  const char d = options_.delimiter, q = options_.quote;
  size_t i = indexed_;
#if defined(__SSE2__)
  const __m128i vd = _mm_set1_epi8(d), vn = _mm_set1_epi8('\n'), vq = _mm_set1_epi8(q != 0 ? q : '\n');
  for (; i + 64 <= to; i += 64) {
    uint64_t mask = Block64(b + i).Mask([&](__m128i x) {
      return _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vd), _mm_cmpeq_epi8(x, vn)), _mm_cmpeq_epi8(x, vq));
    });
    for (; mask != 0; mask &= mask - 1) index_.push_back(static_cast<uint32_t>(i + static_cast<size_t>(__builtin_ctzll(mask))));
  }
#endif
  for (; i < to; ++i) {
    const char c = b[i];
    if (c == d || c == '\n' || (c == q && q != 0)) index_.push_back(static_cast<uint32_t>(i));
  }
  indexed_ = to;
  return true;
}

Result<bool> CsvReader::Next(std::vector<std::string_view>& fields, int64_t& line) {
  fields.clear();
  if (!started_) Head();
  if (options_.delimiter == 0) {
    options_.delimiter = DetectDelimiter(Head(), options_.quote);
    if (options_.delimiter == 0) options_.delimiter = ';';
  }
  const char d = options_.delimiter;
  while (true) {
    if (pos_ >= end_) {
      if (eof_) return false;
      TC_RETURN_IF_ERROR(Fill());
      continue;
    }
    // Fast path: the record's delimiters and end, from the index of special
    // bytes; a quote sends the record to the path below.
    bool quoted = false, refill = false;
    {
      const char* b = buf_.get();
      const size_t begin = pos_;
      size_t field_start = pos_;
      size_t record_end = 0;  // its '\n', or end_ at the end of input
      while (true) {
        while (next_ == index_.size() && IndexMore()) {
        }  // (a window may hold no special byte: a long field)
        if (next_ == index_.size()) {
          if (eof_) {
            record_end = end_;
            break;
          }
          refill = true;  // the record goes on past the buffered bytes
          break;
        }
        const size_t p = index_[next_];
        const char c = b[p];
        if (c == d) {
          fields.emplace_back(b + field_start, p - field_start);
          // Too wide: an error now, before the fields of a 16 MiB record pile up.
          if (fields.size() > options_.max_fields) return Checked(fields, line_);
          field_start = p + 1;
          ++next_;
          continue;
        }
        if (c == '\n') {
          ++next_;
          record_end = p;
          break;
        }
        quoted = true;
        break;
      }
      if (!quoted && !refill) {
        line = line_;
        if (record_end < end_) ++line_;
        pos_ = record_end < end_ ? record_end + 1 : end_;
        size_t last_end = record_end;
        if (last_end > field_start && b[last_end - 1] == '\r') --last_end;  // CRLF
        if (fields.empty() && last_end == begin) continue;  // blank line
        fields.emplace_back(b + field_start, last_end - field_start);
        return Checked(fields, line);
      }
      fields.clear();
    }
    if (refill) {
      TC_RETURN_IF_ERROR(Fill());
      continue;
    }
    bool has_quote = false;
    TC_ASSIGN_OR_RETURN(size_t rec_end, FindRecordEnd(has_quote));
    if (rec_end == kNpos) {
      TC_RETURN_IF_ERROR(Fill());
      continue;
    }
    const size_t begin = pos_;
    line = line_;
    // Lines inside the record (quoted newlines) and its terminator.
    if (has_quote) line_ += std::count(buf_.get() + begin, buf_.get() + rec_end, '\n');
    if (rec_end < end_) ++line_;
    pos_ = rec_end < end_ ? rec_end + 1 : end_;
    // The index goes on after the record, or is rebuilt from there.
    while (next_ < index_.size() && index_[next_] < pos_) ++next_;
    if (next_ == index_.size() && indexed_ < pos_) ForgetIndex();
    // Blank line (possibly just CR): skipped.
    if (rec_end == begin || (rec_end == begin + 1 && buf_[begin] == '\r')) continue;
    Status s = Split(begin, rec_end, has_quote, line, fields);
    if (!s.ok()) return s;
    return Checked(fields, line);
  }
}

Result<bool> CsvReader::Checked(const std::vector<std::string_view>& fields, int64_t line) const {
  if (fields.size() <= options_.max_fields) return true;
  return Status::InvalidArgument("line " + std::to_string(line) + ": more than " + std::to_string(options_.max_fields) +
                                 " fields, the most a record may have");
}

}  // namespace telecollect::files
