#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "files/text_reader.h"

namespace telecollect::files {

// Picks the delimiter among ; , TAB | that splits the sample's first lines
// into the same number (> 1) of fields most consistently; 0 if none does.
char DetectDelimiter(std::string_view sample, char quote);

// The default cap on fields per record (CsvReader::Options::max_fields).
inline constexpr size_t kMaxCsvFields = 50000;

// Streams RFC 4180-style records from UTF-8 text: any delimiter, a quote
// character (doubled inside a quoted field), fields spanning lines inside
// quotes, LF or CRLF endings, a last line without a newline. Blank lines are
// skipped. Memory: one buffer, grown only for a record longer than it.
class CsvReader {
 public:
  struct Options {
    char delimiter = 0;  // 0 = detect from the first 64 KiB
    char quote = '"';
    size_t max_record_bytes = 16 << 20;
    // A record with more fields is an error naming its line: every reader
    // above keeps per-column state, and no real export is this wide.
    size_t max_fields = kMaxCsvFields;
  };
  CsvReader(TextReader& in, Options options);
  // Over text already in memory (not copied beyond the reader's buffer).
  CsvReader(std::string_view text, Options options);

  // The next record; false at the end. Fields stay valid until the next call.
  // `line` is the 1-based line where the record starts.
  Result<bool> Next(std::vector<std::string_view>& fields, int64_t& line);
  char delimiter() const { return options_.delimiter; }
  // The text read so far, from the start (first 64 KiB at most): for sniffing.
  std::string_view Head();
  uint64_t bytes_consumed() const { return consumed_ + pos_; }

 private:
  Status Fill();  // reads more; moves the unconsumed tail to the front
  // Finds the end of the record starting at pos_: index of its '\n' (or end_
  // at end of input); npos if more input is needed.
  Result<size_t> FindRecordEnd(bool& has_quote);
  // The record just split, or an error when it is wider than max_fields.
  Result<bool> Checked(const std::vector<std::string_view>& fields, int64_t line) const;
  Status Split(size_t begin, size_t end, bool has_quote, int64_t line, std::vector<std::string_view>& fields);
  // Indexes the delimiters, line ends and quotes of the next window of
  // buffered bytes (whole 64-byte blocks; the tail too at the end of input).
  // False when there is nothing to index: more input is needed.
  bool IndexMore();
  void ForgetIndex() {  // after the buffer moved or a record was read without it
    index_.clear();
    next_ = 0;
    indexed_ = pos_;
  }

  TextReader* in_ = nullptr;  // or, reading from memory:
  std::string_view mem_;
  Options options_;
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0, pos_ = 0, end_ = 0;
  bool eof_ = false;
  bool started_ = false;
  int64_t line_ = 1;       // line number at pos_
  uint64_t consumed_ = 0;  // bytes dropped from the front of buf_
  // Offsets in buf_ of the special bytes of [pos_, indexed_), in order, from index_[next_].
  std::vector<uint32_t> index_;
  size_t next_ = 0;
  size_t indexed_ = 0;
};

}  // namespace telecollect::files
