#include "files/read_ahead.h"

#include <fcntl.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <iterator>
#include <random>

#include "files/input_file.h"
#include "files/test_file_util.h"

namespace telecollect::files {
namespace {

std::string RandomBytes(size_t n) {
  std::mt19937_64 rng(42);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

Sha256 OneShot(const std::string& bytes) {
  Sha256 d{};
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

struct Fd {
  explicit Fd(const std::string& path) : fd(::open(path.c_str(), O_RDONLY)) {}
  ~Fd() { ::close(fd); }
  int fd;
};

// Reads everything, in reads of changing sizes that straddle the blocks.
std::string ReadAll(ReadAhead& r) {
  std::string out;
  std::string buf(300000, '\0');
  const size_t sizes[] = {1, 1000, 65536, 299999, 7};
  for (size_t i = 0;; ++i) {
    Result<size_t> n = r.Read(buf.data(), sizes[i % 5]);
    EXPECT_TRUE(n.ok()) << n.status().message();
    if (!n.ok() || *n == 0) break;
    out.append(buf.data(), *n);
  }
  return out;
}

TEST(ReadAhead, DeliversEveryByteInOrderAndDigestsThem) {
  // More than kMaxBlocks of the largest block: the reader waits for the consumer.
  const std::string bytes = RandomBytes((5 << 20) + 123);
  TempFile f(bytes);
  Fd fd(f.path());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr), 1);
  {
    ReadAhead r(fd.fd, f.path(), ctx);
    EXPECT_EQ(ReadAll(r), bytes);
    Result<size_t> again = r.Read(nullptr, 0);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, 0u);
  }
  Sha256 d{};
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx, d.data(), &len);
  EVP_MD_CTX_free(ctx);
  EXPECT_EQ(d, OneShot(bytes));
}

TEST(ReadAhead, EmptyFileEndsAtOnce) {
  TempFile f("");
  Fd fd(f.path());
  ReadAhead r(fd.fd, f.path(), nullptr);
  char c;
  Result<size_t> n = r.Read(&c, 1);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST(ReadAhead, ConsumerMayStopEarly) {
  const std::string bytes = RandomBytes(8 << 20);
  TempFile f(bytes);
  Fd fd(f.path());
  char buf[10];
  ReadAhead r(fd.fd, f.path(), nullptr);
  Result<size_t> n = r.Read(buf, sizeof buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), bytes.substr(0, *n));
  // Destroyed with blocks waiting and the reader held: must not hang.
}

TEST(ReadAhead, ReadErrorIsReportedWithThePath) {
  Fd fd("/tmp");  // a directory: read() fails with EISDIR
  ASSERT_GE(fd.fd, 0);
  ReadAhead r(fd.fd, "/tmp", nullptr);
  char c;
  Result<size_t> n = r.Read(&c, 1);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("cannot read /tmp"), std::string::npos) << n.status().message();
}

TEST(InputFile, DigestIsThatOfTheFilesBytesReadInlineOrAhead) {
  // Below 1 MiB the file is read inline, from 1 MiB on ahead on a thread.
  for (const size_t size : {size_t{5}, size_t{(1 << 20) - 1}, size_t{(3 << 20) + 5}}) {
    const std::string bytes = RandomBytes(size);
    TempFile f(bytes);
    auto file = InputFile::Open(f.path());
    ASSERT_TRUE(file.ok());
    std::string part;
    ASSERT_TRUE(*(*file)->NextPart(part));
    std::string head(1000, '\0');
    Result<size_t> got = (*file)->Read(head.data(), head.size());  // the rest is read by Finish
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(head.substr(0, *got), bytes.substr(0, *got));
    Result<Sha256> d = (*file)->Finish();
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, OneShot(bytes)) << size << " bytes";
  }
}

// `bytes` gzipped into `path` (libarchive: raw format, gzip filter).
void WriteGzip(const std::string& path, const std::string& bytes) {
  struct archive* a = archive_write_new();
  ASSERT_EQ(archive_write_add_filter_gzip(a), ARCHIVE_OK);
  ASSERT_EQ(archive_write_set_format_raw(a), ARCHIVE_OK);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(bytes.size()));
  ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
  ASSERT_EQ(archive_write_data(a, bytes.data(), bytes.size()), static_cast<la_ssize_t>(bytes.size()));
  archive_entry_free(e);
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(InputFile, LargeGzipIsDecompressedFromTheReadAheadAndItsRawBytesDigested) {
  // Random bytes do not compress: the gzip file is above 1 MiB, so read ahead.
  const std::string bytes = RandomBytes((2 << 20) + 77);
  TempFile f("", ".gz");
  WriteGzip(f.path(), bytes);
  const std::string raw = ReadFile(f.path());
  ASSERT_GE(raw.size(), size_t{1} << 20);
  auto file = InputFile::Open(f.path());
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->compression(), InputFile::Compression::kGzip);
  std::string part;
  ASSERT_TRUE(*(*file)->NextPart(part));
  std::string out, buf(70000, '\0');
  while (true) {
    Result<size_t> n = (*file)->Read(buf.data(), buf.size());
    ASSERT_TRUE(n.ok()) << n.status().message();
    if (*n == 0) break;
    out.append(buf.data(), *n);
  }
  EXPECT_EQ(out, bytes);
  Result<Sha256> d = (*file)->Finish();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, OneShot(raw));
}

}  // namespace
}  // namespace telecollect::files
