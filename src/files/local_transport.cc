// The local inbox: a directory on this machine (also the folders of the
// hosted SFTP drop, docs/files.md).
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/sync_dir.h"
#include "files/transport.h"

namespace telecollect::files {

namespace fs = std::filesystem;

bool SourceOptions::is_local() const {
  return url.rfind("ftp://", 0) != 0 && url.rfind("ftps://", 0) != 0 && url.rfind("sftp://", 0) != 0;
}

bool MatchesPattern(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) == 0;
}

bool SourceOptions::Wants(const std::string& name) const {
  if (!MatchesPattern(pattern, name)) return false;
  return std::none_of(ignore.begin(), ignore.end(), [&](const std::string& p) { return MatchesPattern(p, name); });
}

namespace {

class LocalTransport final : public Transport {
 public:
  explicit LocalTransport(SourceOptions o) : o_(std::move(o)) {
    root_ = o_.url.rfind("file://", 0) == 0 ? o_.url.substr(7) : o_.url;
  }

  Result<std::vector<RemoteFile>> List() override {
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) return Status::NotFound("inbox " + root_ + " is not a directory");
    std::vector<RemoteFile> out;
    const fs::path archive = fs::path(root_) / o_.archive_dir, quarantine = fs::path(root_) / o_.quarantine_dir;
    auto visit = [&](const fs::directory_entry& e) {
      struct stat st {};
      if (::lstat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
      const std::string name = e.path().filename().string();
      if (!o_.Wants(name)) return;
      out.push_back({fs::relative(e.path(), root_).string(), st.st_size,
                     int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000});
    };
    if (o_.recursive) {
      for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_directory() && (it->path() == archive || it->path() == quarantine)) {
          it.disable_recursion_pending();
          continue;
        }
        visit(*it);
      }
    } else {
      for (auto it = fs::directory_iterator(root_, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) visit(*it);
    }
    if (ec) return Status::IoError("cannot list " + root_ + ": " + ec.message());
    std::sort(out.begin(), out.end(), [](const RemoteFile& a, const RemoteFile& b) { return a.path < b.path; });
    return out;
  }

  Status Stat(RemoteFile& f) override {
    struct stat st {};
    const std::string path = (fs::path(root_) / f.path).string();
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return Status::NotFound(f.path + " is gone");
    f.size = st.st_size;
    f.mtime_ms = int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    return Status::Ok();
  }

  Result<std::string> Fetch(const RemoteFile& f, const std::string&) override { return (fs::path(root_) / f.path).string(); }
  bool local() const override { return true; }

  Status Remove(const RemoteFile& f) override {
    std::error_code ec;
    if (!fs::remove(fs::path(root_) / f.path, ec) && ec) return Status::IoError("cannot delete " + f.path + ": " + ec.message());
    // Durable before the run reports it: a delete lost to a power cut would bring the file back.
    return SyncDirectory((fs::path(root_) / f.path).parent_path().string()).WithContext("delete " + f.path);
  }

  Status Move(const RemoteFile& f, const std::string& dir, const std::string& new_name) override {
    std::error_code ec;
    const fs::path target_dir = fs::path(root_) / dir;
    fs::create_directories(target_dir, ec);
    if (ec) return Status::IoError("cannot create " + target_dir.string() + ": " + ec.message());
    fs::rename(fs::path(root_) / f.path, target_dir / new_name, ec);
    if (ec) return Status::IoError("cannot move " + f.path + " to " + (target_dir / new_name).string() + ": " + ec.message());
    // Both ends of the move, and the folder holding a target folder just created:
    // the archive step is durable once the run reports it (tests/powercut).
    TC_RETURN_IF_ERROR(SyncDirectory(target_dir.string()).WithContext("move " + f.path));
    TC_RETURN_IF_ERROR(SyncDirectory(target_dir.parent_path().string()).WithContext("move " + f.path));
    return SyncDirectory((fs::path(root_) / f.path).parent_path().string()).WithContext("move " + f.path);
  }

  Status Put(const std::string& dir, const std::string& name, const std::string& text) override {
    std::error_code ec;
    const fs::path target_dir = fs::path(root_) / dir;
    fs::create_directories(target_dir, ec);
    std::ofstream out(target_dir / name, std::ios::binary);
    out << text;
    out.close();
    if (!out) return Status::IoError("cannot write " + (target_dir / name).string());
    return SyncDirectory(target_dir.string()).WithContext("write " + name);
  }

  std::string Describe() const override { return root_; }

 private:
  SourceOptions o_;
  std::string root_;
};

}  // namespace

std::unique_ptr<Transport> MakeLocalTransport(const SourceOptions& o) { return std::make_unique<LocalTransport>(o); }

}  // namespace telecollect::files
