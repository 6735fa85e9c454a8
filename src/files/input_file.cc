#include "files/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "files/read_ahead.h"

namespace telecollect::files {
namespace {
constexpr size_t kRawBufSize = 256 * 1024;
// From this size on, a file is read ahead on a thread of its own (ReadAhead);
// a smaller one (most partner drops) is read and hashed in a few calls inline.
constexpr uint64_t kReadAheadMinBytes = 1 << 20;

std::string ArchiveError(struct archive* a) {
  const char* e = archive_error_string(a);
  return e != nullptr ? e : "unknown archive error";
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(what + " " + path + ": " + std::strerror(errno));
}
}  // namespace

std::string Sha256Hex(const Sha256& d) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : d) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Result<std::unique_ptr<InputFile>> InputFile::Open(const std::string& path, bool hash) {
  std::unique_ptr<InputFile> f(new InputFile());
  f->path_ = path;
  f->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f->fd_ < 0) return Errno("cannot open", path);
  struct stat st {};
  if (fstat(f->fd_, &st) != 0) return Errno("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + " is not a regular file");
  f->size_ = static_cast<uint64_t>(st.st_size);
  f->mtime_ms_ = int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
  if (hash) {
    f->hash_ = EVP_MD_CTX_new();
    if (f->hash_ == nullptr || EVP_DigestInit_ex(f->hash_, EVP_sha256(), nullptr) != 1)
      return Status::Internal("cannot initialise SHA-256");
  }
  f->raw_buf_.reset(new char[kRawBufSize]);

  unsigned char magic[4] = {0, 0, 0, 0};
  const ssize_t got = ::pread(f->fd_, magic, sizeof magic, 0);
  if (got < 0) return Errno("cannot read", path);
  // A large file's reads (and hashing) from here on run ahead on their own thread.
  if (f->size_ >= kReadAheadMinBytes) f->read_ahead_ = std::make_unique<ReadAhead>(f->fd_, path, f->hash_);
  TC_RETURN_IF_ERROR(f->DetectCompression(magic, static_cast<size_t>(got)));
  return f;
}

Result<std::unique_ptr<InputFile>> InputFile::FromMemory(std::string bytes, const std::string& name) {
  std::unique_ptr<InputFile> f(new InputFile());
  f->path_ = name;
  f->in_memory_ = true;
  f->memory_ = std::move(bytes);
  f->size_ = f->memory_.size();
  unsigned char magic[4] = {0, 0, 0, 0};
  const size_t got = std::min<size_t>(sizeof magic, f->memory_.size());
  std::memcpy(magic, f->memory_.data(), got);
  TC_RETURN_IF_ERROR(f->DetectCompression(magic, got));
  return f;
}

Status InputFile::DetectCompression(const unsigned char* magic, size_t got) {
  if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) compression_ = Compression::kGzip;
  else if (got >= 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) compression_ = Compression::kZip;
  if (compression_ == Compression::kNone) return Status::Ok();
  if (!raw_buf_) raw_buf_.reset(new char[kRawBufSize]);  // what libarchive reads the raw bytes into
  archive_ = archive_read_new();
  if (compression_ == Compression::kGzip) {
    archive_read_support_filter_gzip(archive_);
    archive_read_support_format_raw(archive_);
  } else {
    archive_read_support_filter_none(archive_);
    archive_read_support_format_zip_streamable(archive_);
  }
  if (archive_read_open(archive_, this, nullptr, &InputFile::ArchiveRead, nullptr) != ARCHIVE_OK) {
    const std::string why = archive_error_.empty() ? ArchiveError(archive_) : archive_error_;
    return Status::InvalidArgument(path_ + ": not a readable " + (compression_ == Compression::kGzip ? "gzip" : "zip") +
                                   " file: " + why);
  }
  return Status::Ok();
}

InputFile::~InputFile() {
  if (archive_ != nullptr) archive_read_free(archive_);
  read_ahead_.reset();  // its thread uses the descriptor and the digest
  if (hash_ != nullptr) EVP_MD_CTX_free(hash_);
  if (fd_ >= 0) ::close(fd_);
}

Result<size_t> InputFile::ReadRaw(char* buf, size_t n) {
  if (eof_) return size_t{0};
  if (in_memory_) {
    const size_t take = std::min(n, memory_.size() - memory_pos_);
    std::memcpy(buf, memory_.data() + memory_pos_, take);
    memory_pos_ += take;
    if (take == 0) eof_ = true;
    return take;
  }
  if (read_ahead_) {
    TC_ASSIGN_OR_RETURN(size_t got, read_ahead_->Read(buf, n));
    if (got == 0) eof_ = true;  // and the digest holds every byte
    return got;
  }
  ssize_t got;
  do {
    got = ::read(fd_, buf, n);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return Errno("cannot read", path_);
  if (got == 0) eof_ = true;
  if (got > 0 && hash_ != nullptr) EVP_DigestUpdate(hash_, buf, static_cast<size_t>(got));
  return static_cast<size_t>(got);
}

long InputFile::ArchiveRead(struct archive* a, void* self, const void** buf) {
  auto* f = static_cast<InputFile*>(self);
  Result<size_t> got = f->ReadRaw(f->raw_buf_.get(), kRawBufSize);
  if (!got.ok()) {
    f->archive_error_ = got.status().message();
    archive_set_error(a, EIO, "%s", f->archive_error_.c_str());
    return -1;
  }
  *buf = f->raw_buf_.get();
  return static_cast<long>(*got);
}

Result<bool> InputFile::NextPart(std::string& name) {
  name.clear();
  if (archive_ == nullptr) {
    if (plain_part_given_) return false;
    plain_part_given_ = true;
    return true;
  }
  while (true) {
    struct archive_entry* entry = nullptr;
    const int r = archive_read_next_header(archive_, &entry);
    if (r == ARCHIVE_EOF) return false;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return Status::InvalidArgument(path_ + ": corrupt archive: " + ArchiveError(archive_));
    if (compression_ == Compression::kGzip) return true;  // the one raw stream
    if (archive_entry_filetype(entry) != AE_IFREG) continue;  // directories, links
    const char* n = archive_entry_pathname_utf8(entry);
    if (n == nullptr) n = archive_entry_pathname(entry);
    name = n != nullptr ? n : "";
    // macOS resource forks are not data.
    if (name.rfind("__MACOSX/", 0) == 0) continue;
    return true;
  }
}

Result<size_t> InputFile::Read(char* buf, size_t n) {
  if (archive_ == nullptr) return ReadRaw(buf, n);
  const la_ssize_t got = archive_read_data(archive_, buf, n);
  if (got < 0) {
    return Status::InvalidArgument(path_ + ": cannot decompress: " + ArchiveError(archive_));
  }
  return static_cast<size_t>(got);
}

Result<Sha256> InputFile::Finish() {
  if (hash_ == nullptr) return Status::Internal("SHA-256 not computed: the file was opened without hashing");
  while (!eof_) {
    TC_ASSIGN_OR_RETURN(size_t got, ReadRaw(raw_buf_.get(), kRawBufSize));
    (void)got;
  }
  Sha256 d{};
  unsigned len = 0;
  EVP_DigestFinal_ex(hash_, d.data(), &len);
  return d;
}

}  // namespace telecollect::files
