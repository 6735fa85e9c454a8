#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

struct archive;
struct evp_md_ctx_st;

namespace telecollect::files {

class ReadAhead;

using Sha256 = std::array<uint8_t, 32>;
std::string Sha256Hex(const Sha256& digest);

// A file to import, read as a stream of parts: one part for a plain or gzip
// file (decompressed on the fly), one per regular entry of a zip archive. Never
// unpacks to disk; memory stays bounded whatever the file size. The SHA-256 of
// the file's raw bytes (as stored, compressed or not) is computed on the way
// (for a file of 1 MiB or more, by the thread that reads it ahead: ReadAhead).
class InputFile {
 public:
  enum class Compression { kNone, kGzip, kZip };
  // `hash`: compute the SHA-256 (imports need it for the journal; validation does not).
  static Result<std::unique_ptr<InputFile>> Open(const std::string& path, bool hash = true);
  // Bytes already in memory (an API response body), read the same way
  // (gzip/zip detected); `name` stands for the path in errors. No hashing.
  static Result<std::unique_ptr<InputFile>> FromMemory(std::string bytes, const std::string& name);
  ~InputFile();

  // Moves to the next part; false when there is none. `name` is the zip entry
  // name, empty otherwise.
  Result<bool> NextPart(std::string& name);
  // Reads up to n bytes of the current part; 0 at its end.
  Result<size_t> Read(char* buf, size_t n);
  // Reads what is left of the raw file (into the hash) and returns the digest
  // (an error if the file was opened without hashing).
  Result<Sha256> Finish();

  Compression compression() const { return compression_; }
  uint64_t size() const { return size_; }
  int64_t mtime_ms() const { return mtime_ms_; }
  const std::string& path() const { return path_; }

 private:
  InputFile() = default;
  Status DetectCompression(const unsigned char* magic, size_t got);  // sets up the archive reader if needed
  Result<size_t> ReadRaw(char* buf, size_t n);  // from the file (or read_ahead_, which hashes), or memory
  static long ArchiveRead(struct archive*, void* self, const void** buf);  // libarchive callback

  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  int64_t mtime_ms_ = 0;
  Compression compression_ = Compression::kNone;
  struct archive* archive_ = nullptr;
  evp_md_ctx_st* hash_ = nullptr;
  std::unique_ptr<char[]> raw_buf_;
  std::unique_ptr<ReadAhead> read_ahead_;  // large files: fd_ and hash_ are its until it is destroyed
  bool plain_part_given_ = false;
  bool eof_ = false;
  std::string archive_error_;
  std::string memory_;  // FromMemory: the bytes, read from memory_pos_
  size_t memory_pos_ = 0;
  bool in_memory_ = false;
};

}  // namespace telecollect::files
