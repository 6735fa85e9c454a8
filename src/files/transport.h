#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time_util.h"

namespace telecollect::files {

// Where a connector's files are and how to get them. Secrets (password, key
// passphrase) are filled from the environment or the secrets file, never from
// the connector's TOML.
struct SourceOptions {
  std::string url;       // ftp://host[:port]/dir/, ftps://... (explicit TLS), sftp://host[:port]/dir/, or a local directory
  std::string pattern = "*";  // glob on the file name (fnmatch): "*.csv", "export_*.csv.gz"
  // Names never taken, whatever the pattern: files still being uploaded under
  // a temporary name (renamed when whole) and hidden files.
  std::vector<std::string> ignore = {".*", "*.part", "*.tmp", "*.filepart"};
  bool recursive = false;
  std::string user;
  std::string password;
  std::string private_key;     // SFTP: private key file
  std::string public_key;      // SFTP: optional, libssh2 derives it otherwise
  std::string key_passphrase;
  std::string known_hosts;     // SFTP: the server's host key must be in this file
  std::string host_key_sha256; // SFTP: or match this SHA-256 fingerprint (base64, no "SHA256:" prefix nor padding)
  std::string ca_file;         // FTPS: CA bundle that signed the server certificate
  int64_t timeout_ms = 60000;
  int64_t stable_for_ms = 60000;  // untouched this long before a file is taken (docs/files.md, "What a run does")
  int64_t complete_after_ms = -1;  // and this long after its import before it is archived/deleted; -1: stable_for
  enum class After { kDelete, kArchive, kLeave } after_import = After::kArchive;
  std::string archive_dir = "archive";        // relative to the source directory
  bool quarantine = true;                     // rejected files: moved there with their report, or left
  std::string quarantine_dir = "quarantine";  // relative to the source directory

  bool is_local() const;
  // Does the file's base name match `pattern` and none of `ignore`.
  bool Wants(const std::string& name) const;
  int64_t complete_after() const { return complete_after_ms < 0 ? stable_for_ms : complete_after_ms; }
};

struct RemoteFile {
  std::string path;  // relative to the source directory ("sub/a.csv")
  int64_t size = 0;
  int64_t mtime_ms = 0;
};

// One pluggable interface per external system: the local inbox and
// FTP/FTPS/SFTP (libcurl) implement it.
class Transport {
 public:
  virtual ~Transport() = default;
  // Regular files matching the pattern (archive and quarantine folders excluded).
  virtual Result<std::vector<RemoteFile>> List() = 0;
  // Size and mtime of `file.path` now (kNotFound if it is gone).
  virtual Status Stat(RemoteFile& file) = 0;
  // A local path to read the file from: the file itself for a local inbox,
  // else a copy downloaded to `spool_file` (created mode 0600, removed on failure).
  virtual Result<std::string> Fetch(const RemoteFile& file, const std::string& spool_file) = 0;
  // True when the file is read in place (a local inbox): hashing it again is cheap.
  virtual bool local() const { return false; }
  virtual Status Remove(const RemoteFile& file) = 0;
  // Moves the file into folder `dir` (created if needed) as `new_name`.
  virtual Status Move(const RemoteFile& file, const std::string& dir, const std::string& new_name) = 0;
  // Writes a small text file (a rejection report) into `dir`.
  virtual Status Put(const std::string& dir, const std::string& name, const std::string& text) = 0;
  // For messages: the source without credentials.
  virtual std::string Describe() const = 0;
};

Result<std::unique_ptr<Transport>> MakeTransport(const SourceOptions& options);

// Shared by transports: does `name` (a base name) match the glob.
bool MatchesPattern(const std::string& pattern, const std::string& name);

}  // namespace telecollect::files
