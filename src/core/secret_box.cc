#include "core/secret_box.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/hex.h"
#include "core/sync_dir.h"

namespace telecollect {
namespace {

constexpr std::string_view kPrefix = "tcs1:";
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kKeyIdHex = 8;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

std::string BaseName(const std::string& path) { return std::filesystem::path(path).filename().string(); }

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(what + " key file " + BaseName(path) + ": " + std::strerror(errno));
}

Result<SecretBox::Key> ParseKey(std::string_view text, const std::string& path) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  auto bytes = DecodeHex(text);
  if (!bytes.ok() || bytes->size() != SecretBox::kKeyBytes) {
    return Status::InvalidArgument("key file " + BaseName(path) + " does not hold a key (64 hex digits expected)");
  }
  SecretBox::Key key;
  std::memcpy(key.data(), bytes->data(), key.size());
  return key;
}

Result<std::string> ReadKeyText(const std::string& path, bool* tightened) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Errno("cannot open", path);
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    const Status s = Errno("cannot stat", path);
    ::close(fd);
    return s;
  }
  if ((st.st_mode & 077) != 0) {
    if (::fchmod(fd, 0600) != 0) {
      const Status s = Errno("cannot set mode 0600 on", path);
      ::close(fd);
      return s;
    }
    if (tightened != nullptr) *tightened = true;
  }
  std::string text(256, '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t r = ::read(fd, text.data() + got, text.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  text.resize(got);
  return text;
}

// Writes a fresh key under a temporary name, then links it to `path`: the key
// appears whole or not at all, and a concurrent creator's key wins (EEXIST).
Status CreateKeyFile(const std::string& path) {
  uint8_t key[SecretBox::kKeyBytes];
  if (RAND_bytes(key, sizeof key) != 1) return Status::Internal("no random bytes for a new key");
  const std::string text = EncodeHex(key, sizeof key) + "\n";
  uint8_t suffix[8];
  if (RAND_bytes(suffix, sizeof suffix) != 1) return Status::Internal("no random bytes for a new key");
  const std::string tmp = path + ".tmp-" + EncodeHex(suffix, sizeof suffix);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Errno("cannot create", path);
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  Status s = ok ? Status::Ok() : Errno("cannot write", path);
  ::close(fd);
  if (s.ok() && ::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) s = Errno("cannot create", path);
  ::unlink(tmp.c_str());
  if (!s.ok()) return s;
  // The name is durable too: a key lost in a crash would lose what it sealed.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return SyncDirectory(dir.empty() ? "." : dir);
}

}  // namespace

SecretBox::SecretBox(const Key& key) : key_(key) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(key_.data(), key_.size(), digest);
  key_id_ = EncodeHex(digest, kKeyIdHex / 2);
}

Result<SecretBox> SecretBox::FromKeyFile(const std::string& path, bool* tightened) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Errno("cannot stat", path);
    TC_RETURN_IF_ERROR(CreateKeyFile(path));
  }
  TC_ASSIGN_OR_RETURN(std::string text, ReadKeyText(path, tightened));
  TC_ASSIGN_OR_RETURN(Key key, ParseKey(text, path));
  return SecretBox(key);
}

bool SecretBox::IsSealed(std::string_view value) { return value.substr(0, kPrefix.size()) == kPrefix; }

std::string SecretBox::Seal(std::string_view plain, std::string_view context) const {
  std::string raw(kNonceBytes + plain.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<uint8_t*>(raw.data());
  // A random 96-bit nonce per value: safe for far more values than a store keeps.
  if (RAND_bytes(out, kNonceBytes) != 1) std::abort();
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), out) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(context.data()),
                        static_cast<int>(context.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), out + kNonceBytes, &len, reinterpret_cast<const uint8_t*>(plain.data()),
                        static_cast<int>(plain.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), out + kNonceBytes + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out + kNonceBytes + plain.size()) == 1;
  if (!ok) std::abort();  // only on allocation failure or a broken OpenSSL: not an input error
  return std::string(kPrefix) + key_id_ + ":" + EncodeBase64(raw);
}

Result<std::string> SecretBox::Open(std::string_view sealed, std::string_view context) const {
  if (!IsSealed(sealed)) return Status::InvalidArgument("not a sealed value (no \"tcs1:\" prefix)");
  std::string_view rest = sealed.substr(kPrefix.size());
  if (rest.size() < kKeyIdHex + 1 || rest[kKeyIdHex] != ':') {
    return Status::InvalidArgument("sealed value without its key id");
  }
  const std::string_view key_id = rest.substr(0, kKeyIdHex);
  if (key_id != key_id_) {
    return Status::PermissionDenied("sealed under another key (key id " + std::string(key_id) + ", the key file's is " +
                                    key_id_ + "): restore the key file backed up with this database");
  }
  auto raw = DecodeBase64(rest.substr(kKeyIdHex + 1));
  if (!raw.ok()) return Status::InvalidArgument("sealed value is not base64: " + raw.status().message());
  if (raw->size() < kNonceBytes + kTagBytes) return Status::InvalidArgument("sealed value is too short");
  const size_t n = raw->size() - kNonceBytes - kTagBytes;
  uint8_t* in = raw->data();
  std::string plain(n, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const bool setup =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), in) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(context.data()),
                        static_cast<int>(context.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<uint8_t*>(plain.data()), &len, in + kNonceBytes,
                        static_cast<int>(n)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, in + kNonceBytes + n) == 1;
  if (!setup) return Status::Internal("cannot set up AES-256-GCM");
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<uint8_t*>(plain.data()) + len, &len) != 1) {
    return Status::InvalidArgument("sealed value fails authentication: altered, damaged, or moved from another row");
  }
  return plain;
}

}  // namespace telecollect
