// FTP (passive), FTPS (explicit TLS) and SFTP through libcurl.
#include <curl/curl.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <mutex>
#include <sstream>

#include <fmt/format.h>

#include "files/ftp_listing.h"
#include "files/transport.h"

namespace telecollect::files {

std::unique_ptr<Transport> MakeLocalTransport(const SourceOptions& o);

namespace {

namespace fs = std::filesystem;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t AppendToString(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

struct UploadSource {
  const std::string* text;
  size_t pos = 0;
};

size_t ReadFromString(char* buf, size_t size, size_t n, void* in) {
  auto* src = static_cast<UploadSource*>(in);
  const size_t len = std::min(size * n, src->text->size() - src->pos);
  std::memcpy(buf, src->text->data() + src->pos, len);
  src->pos += len;
  return len;
}

// Only a host key found, and matching, in known_hosts is accepted.
int CheckHostKey(CURL*, const struct curl_khkey*, const struct curl_khkey*, enum curl_khmatch match, void* self) {
  if (match == CURLKHMATCH_OK) return CURLKHSTAT_FINE;
  *static_cast<std::string*>(self) = match == CURLKHMATCH_MISMATCH ? "the server's host key does NOT match known_hosts"
                                                                    : "the server's host key is not in known_hosts";
  return CURLKHSTAT_REJECT;
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(SourceOptions o) : o_(std::move(o)) {
    GlobalInit();
    sftp_ = o_.url.rfind("sftp://", 0) == 0;
    ftps_ = o_.url.rfind("ftps://", 0) == 0;
    // ftps:// in libcurl is implicit TLS; explicit TLS (AUTH TLS on the FTP port) is ftp:// + USE_SSL.
    base_ = ftps_ ? "ftp://" + o_.url.substr(7) : o_.url;
    if (base_.back() != '/') base_ += '/';
    // The directory path for commands (DELE, RNFR, rename): FTP paths are
    // relative to the login directory ("//abs" is absolute); SFTP paths are
    // absolute, "/~/" the home directory.
    const size_t host_end = base_.find('/', base_.find("://") + 3);
    char* decoded = curl_unescape(base_.c_str() + host_end, 0);
    std::string path = decoded;
    curl_free(decoded);
    if (sftp_) {
      cmd_dir_ = path.rfind("/~/", 0) == 0 ? path.substr(3) : path;
    } else {
      cmd_dir_ = path.substr(1);
    }
    h_ = curl_easy_init();
  }
  ~CurlTransport() override { curl_easy_cleanup(h_); }

  Result<std::vector<RemoteFile>> List() override {
    std::vector<RemoteFile> out;
    TC_RETURN_IF_ERROR(ListDir("", out, 0));
    std::sort(out.begin(), out.end(), [](const RemoteFile& a, const RemoteFile& b) { return a.path < b.path; });
    return out;
  }

  Result<std::string> Fetch(const RemoteFile& f, const std::string& local) override {
    std::error_code ec;
    fs::create_directories(fs::path(local).parent_path(), ec);
    // Readable by telecollect only: the partner's data.
    const int fd = ::open(local.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE* out = fd < 0 ? nullptr : ::fdopen(fd, "wb");
    if (out == nullptr) {
      if (fd >= 0) ::close(fd);
      return Status::IoError("cannot create a spool file for " + f.path);
    }
    Prepare(UrlOf(f.path));
    curl_easy_setopt(h_, CURLOPT_WRITEFUNCTION, nullptr);
    curl_easy_setopt(h_, CURLOPT_WRITEDATA, out);
    Status s = Perform("download " + f.path);
    if (std::fclose(out) != 0 && s.ok()) s = Status::IoError("cannot write the spool file for " + f.path);
    curl_off_t got = 0;
    curl_easy_getinfo(h_, CURLINFO_SIZE_DOWNLOAD_T, &got);
    if (s.ok() && got != f.size) {
      s = Status::Unavailable(fmt::format("download {}: got {} bytes, listed {} (file changed or transfer cut); retried next run",
                                          f.path, static_cast<int64_t>(got), f.size));
    }
    if (!s.ok()) {
      fs::remove(local, ec);
      return s;
    }
    return local;
  }

  Status Remove(const RemoteFile& f) override {
    return Quote({sftp_ ? "rm " + CmdPath(f.path) : "DELE " + CmdPath(f.path)}, "delete " + f.path);
  }

  Status Move(const RemoteFile& f, const std::string& dir, const std::string& new_name) override {
    const std::string target = CmdPath(dir + "/" + new_name);
    if (sftp_) return Quote({"*mkdir " + CmdPath(dir), "rename " + CmdPath(f.path) + " " + target}, "move " + f.path);
    return Quote({"*MKD " + CmdPath(dir), "RNFR " + CmdPath(f.path), "RNTO " + target}, "move " + f.path);
  }

  Status Put(const std::string& dir, const std::string& name, const std::string& text) override {
    Prepare(UrlOf(dir + "/" + name));
    UploadSource src{&text};
    curl_easy_setopt(h_, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h_, CURLOPT_READFUNCTION, &ReadFromString);
    curl_easy_setopt(h_, CURLOPT_READDATA, &src);
    curl_easy_setopt(h_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
    curl_easy_setopt(h_, CURLOPT_FTP_CREATE_MISSING_DIRS, static_cast<long>(CURLFTP_CREATE_DIR));
    return Perform("upload " + dir + "/" + name);
  }

  std::string Describe() const override { return o_.url; }

 private:
  std::string UrlOf(const std::string& rel) const {
    std::string url = base_;
    size_t start = 0;
    while (start <= rel.size()) {
      const size_t slash = rel.find('/', start);
      const std::string seg = rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      char* esc = curl_easy_escape(h_, seg.c_str(), static_cast<int>(seg.size()));
      url += esc;
      curl_free(esc);
      if (slash == std::string::npos) break;
      url += '/';
      start = slash + 1;
    }
    return url;
  }
  std::string CmdPath(const std::string& rel) const {
    std::string p = cmd_dir_ + rel;
    // Quote commands take one argument: quote it when it has spaces.
    if (p.find(' ') != std::string::npos) return "\"" + p + "\"";
    return p;
  }

  void Prepare(const std::string& url) {
    curl_easy_reset(h_);
    errbuf_[0] = 0;
    host_key_error_.clear();
    curl_easy_setopt(h_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h_, CURLOPT_ERRORBUFFER, errbuf_);
    // Nothing to stdout: bodies go where a request says, headers nowhere.
    curl_easy_setopt(h_, CURLOPT_WRITEFUNCTION, &Discard);
    curl_easy_setopt(h_, CURLOPT_HEADERFUNCTION, &Discard);
    curl_easy_setopt(h_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<int64_t>(o_.timeout_ms, 30000)));
    curl_easy_setopt(h_, CURLOPT_TIMEOUT_MS, static_cast<long>(o_.timeout_ms * 10));
    // A transfer stalled below 1 byte/s for the timeout is cut.
    curl_easy_setopt(h_, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h_, CURLOPT_LOW_SPEED_TIME, static_cast<long>(std::max<int64_t>(o_.timeout_ms / 1000, 1)));
    if (!o_.user.empty()) curl_easy_setopt(h_, CURLOPT_USERNAME, o_.user.c_str());
    if (!o_.password.empty()) curl_easy_setopt(h_, CURLOPT_PASSWORD, o_.password.c_str());
    curl_easy_setopt(h_, CURLOPT_FTP_USE_EPSV, 1L);  // passive
    if (ftps_) {
      curl_easy_setopt(h_, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
      if (!o_.ca_file.empty()) curl_easy_setopt(h_, CURLOPT_CAINFO, o_.ca_file.c_str());
    }
    if (sftp_) {
      if (!o_.private_key.empty()) {
        curl_easy_setopt(h_, CURLOPT_SSH_AUTH_TYPES, static_cast<long>(CURLSSH_AUTH_PUBLICKEY));
        curl_easy_setopt(h_, CURLOPT_SSH_PRIVATE_KEYFILE, o_.private_key.c_str());
        if (!o_.public_key.empty()) curl_easy_setopt(h_, CURLOPT_SSH_PUBLIC_KEYFILE, o_.public_key.c_str());
        if (!o_.key_passphrase.empty()) curl_easy_setopt(h_, CURLOPT_KEYPASSWD, o_.key_passphrase.c_str());
      } else {
        curl_easy_setopt(h_, CURLOPT_SSH_AUTH_TYPES, static_cast<long>(CURLSSH_AUTH_PASSWORD | CURLSSH_AUTH_KEYBOARD));
      }
      if (!o_.known_hosts.empty()) {
        curl_easy_setopt(h_, CURLOPT_SSH_KNOWNHOSTS, o_.known_hosts.c_str());
        curl_easy_setopt(h_, CURLOPT_SSH_KEYFUNCTION, &CheckHostKey);
        curl_easy_setopt(h_, CURLOPT_SSH_KEYDATA, &host_key_error_);
      }
      if (!o_.host_key_sha256.empty()) curl_easy_setopt(h_, CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256, o_.host_key_sha256.c_str());
    }
  }

  Status Perform(const std::string& what) {
    const CURLcode rc = curl_easy_perform(h_);
    if (rc == CURLE_OK) return Status::Ok();
    std::string why = errbuf_[0] ? errbuf_ : curl_easy_strerror(rc);
    if (!host_key_error_.empty()) why = host_key_error_ + " (" + why + ")";
    const std::string msg = fmt::format("{}: {}: {}", o_.url, what, why);
    // FTP servers answer a refused USER/PASS with 530, which some libcurl
    // versions report as an access error.
    if (rc == CURLE_LOGIN_DENIED || (rc == CURLE_REMOTE_ACCESS_DENIED && !sftp_ && why.find("530") != std::string::npos))
      return Status::Unauthenticated(fmt::format("{}: {}: login denied: {} (check user and password/key)", o_.url, what, why));
    switch (rc) {
      case CURLE_REMOTE_ACCESS_DENIED: return Status::PermissionDenied(msg);
      case CURLE_REMOTE_FILE_NOT_FOUND: return Status::NotFound(msg);
      case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT:
      case CURLE_PARTIAL_FILE: case CURLE_RECV_ERROR: case CURLE_SEND_ERROR: case CURLE_GOT_NOTHING:
        return Status::Unavailable(msg);
      default: return Status::IoError(msg);
    }
  }

  Status Quote(const std::vector<std::string>& commands, const std::string& what) {
    Prepare(base_);
    struct curl_slist* list = nullptr;
    for (const auto& c : commands) list = curl_slist_append(list, c.c_str());
    curl_easy_setopt(h_, CURLOPT_QUOTE, list);
    curl_easy_setopt(h_, CURLOPT_NOBODY, 1L);
    // FTP commands run before curl's CWD, in the login directory, which a
    // reused connection has left: a fresh connection starts there again.
    if (!sftp_) curl_easy_setopt(h_, CURLOPT_FRESH_CONNECT, 1L);
    Status s = Perform(what);
    curl_slist_free_all(list);
    return s;
  }

  // Lists one directory (relative to the base), recursing when asked.
  Status ListDir(const std::string& rel_dir, std::vector<RemoteFile>& out, int depth) {
    if (depth > 16) return Status::Ok();
    std::string body;
    Prepare(UrlOf(rel_dir) + (rel_dir.empty() ? "" : "/"));
    curl_easy_setopt(h_, CURLOPT_WRITEFUNCTION, &AppendToString);
    curl_easy_setopt(h_, CURLOPT_WRITEDATA, &body);
    TC_RETURN_IF_ERROR(Perform("list " + (rel_dir.empty() ? std::string(".") : rel_dir)));
    std::istringstream lines(body);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      FtpListEntry entry;
      if (!ParseFtpListLine(line, entry)) continue;
      const std::string& name = entry.name;
      const bool is_dir = entry.is_dir;
      const std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
      if (is_dir) {
        if (o_.recursive && rel != o_.archive_dir && rel != o_.quarantine_dir) TC_RETURN_IF_ERROR(ListDir(rel, out, depth + 1));
        continue;
      }
      if (!o_.Wants(name)) continue;
      RemoteFile f;
      f.path = rel;
      TC_RETURN_IF_ERROR(Stat(f));
      out.push_back(std::move(f));
    }
    return Status::Ok();
  }

  // Exact size and modification time of one file (SIZE/MDTM, SFTP stat).
  Status Stat(RemoteFile& f) override {
    Prepare(UrlOf(f.path));
    curl_easy_setopt(h_, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h_, CURLOPT_FILETIME, 1L);
    TC_RETURN_IF_ERROR(Perform("stat " + f.path));
    curl_off_t size = -1, mtime = -1;
    curl_easy_getinfo(h_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &size);
    curl_easy_getinfo(h_, CURLINFO_FILETIME_T, &mtime);
    f.size = size < 0 ? 0 : static_cast<int64_t>(size);
    f.mtime_ms = mtime < 0 ? 0 : static_cast<int64_t>(mtime) * 1000;
    return Status::Ok();
  }

  SourceOptions o_;
  bool sftp_ = false, ftps_ = false;
  std::string base_, cmd_dir_;
  CURL* h_ = nullptr;
  char errbuf_[CURL_ERROR_SIZE] = {0};
  std::string host_key_error_;
};

}  // namespace

Result<std::unique_ptr<Transport>> MakeTransport(const SourceOptions& o) {
  if (o.url.empty()) return Status::InvalidArgument("source.url is empty");
  if (o.is_local()) return MakeLocalTransport(o);
  if (o.url.rfind("sftp://", 0) == 0 && o.known_hosts.empty() && o.host_key_sha256.empty())
    return Status::InvalidArgument("sftp needs source.known_hosts (or source.host_key_sha256): the server's key is always checked");
  if (o.url.rfind("ftp://", 0) == 0 && o.url.find('@') != std::string::npos)
    return Status::InvalidArgument("put the user in source.user and the password in the secrets file, not in the URL");
  return std::unique_ptr<Transport>(std::make_unique<CurlTransport>(o));
}

}  // namespace telecollect::files
