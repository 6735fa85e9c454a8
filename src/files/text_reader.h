#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "files/input_file.h"

namespace telecollect::files {

enum class Encoding { kAuto, kUtf8, kWindows1252, kLatin1, kUtf16Le, kUtf16Be };
Result<Encoding> ParseEncoding(std::string_view name);  // auto, utf-8, windows-1252 (cp1252), latin-1 (iso-8859-1), utf-16le, utf-16be
const char* EncodingName(Encoding e);

// True if `text` is well-formed UTF-8. With `allow_truncated_end`, a sequence
// cut by the end of the buffer is accepted (a sample of a longer stream).
bool IsValidUtf8(std::string_view text, bool allow_truncated_end = false);
// Appends `text` (one byte per character, Windows-1252 or Latin-1) as UTF-8.
void AppendSingleByteAsUtf8(std::string_view text, Encoding e, std::string& out);

// Reads the current part of an InputFile as UTF-8 text: detects and strips a
// byte-order mark, transcodes Windows-1252, Latin-1 and UTF-16. With kAuto: a
// BOM decides; otherwise UTF-8 if the first 64 KiB are valid UTF-8, else
// Windows-1252 (what French spreadsheets write).
class TextReader {
 public:
  TextReader(InputFile& file, Encoding declared) : file_(file), encoding_(declared) {}
  Result<size_t> Read(char* buf, size_t cap);  // 0 at the end of the part
  // The encoding in use; known after the first Read.
  Encoding encoding() const { return encoding_; }
  bool had_bom() const { return had_bom_; }

 private:
  Status Start();
  Result<size_t> ReadRaw(char* buf, size_t cap);  // pending sample first, then the file

  InputFile& file_;
  Encoding encoding_;
  bool started_ = false;
  bool had_bom_ = false;
  std::string pending_;  // raw bytes read ahead (sample); consumed from pending_pos_
  size_t pending_pos_ = 0;
  std::string raw_;      // scratch for transcoding
  std::string carry_;    // an incomplete UTF-16 unit or surrogate pair
};

}  // namespace telecollect::files
