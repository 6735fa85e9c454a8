// `telecollect drop add`: the hosted SFTP drop's accounts (docs/files.md, "The hosted drop").
#include <grp.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/hex.h"

namespace telecollect::cli {
namespace {

namespace fs = std::filesystem;

// Runs a system tool (groupadd, useradd) with these arguments, no shell.
Status RunTool(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return Status::IoError("cannot start " + argv[0]);
  if (pid == 0) {
    ::execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0) return Status::IoError("cannot wait for " + argv[0]);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  return Status::IoError(fmt::format("`{}` failed (exit {})", cmd, WIFEXITED(status) ? WEXITSTATUS(status) : -1));
}

// A directory with exactly this owner and mode (created if missing).
Status Directory(const std::string& path, uid_t uid, gid_t gid, mode_t mode) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Status::IoError("cannot create " + path + ": " + ec.message());
  if (::chown(path.c_str(), uid, gid) != 0 || ::chmod(path.c_str(), mode) != 0)
    return Status::IoError("cannot set the owner and mode of " + path);
  return Status::Ok();
}

Status EnsureGroup(const std::string& name, bool& created) {
  created = false;
  if (::getgrnam(name.c_str()) != nullptr) return Status::Ok();
  created = true;
  return RunTool({"groupadd", "--system", name});
}

// The OpenSSH public key line of the partner: "<type> <base64> [comment]".
Result<std::string> ReadPublicKey(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read the key file " + path);
  std::string line, type, blob;
  std::getline(in, line);
  std::istringstream words(line);
  words >> type >> blob;
  const bool known_type = type.rfind("ssh-", 0) == 0 || type.rfind("ecdsa-", 0) == 0 || type.rfind("sk-", 0) == 0;
  if (!known_type || !DecodeBase64(blob).ok() || line.find("PRIVATE KEY") != std::string::npos) {
    return Status::InvalidArgument(path + " is not an OpenSSH public key (\"ssh-ed25519 AAAA... comment\" on one line)");
  }
  return type + " " + blob + "\n";
}

// "SHA256:..." as ssh-keygen -l prints it, for the partner's first connection.
std::string Fingerprint(const std::string& pub_file) {
  std::ifstream in(pub_file);
  std::string type, blob;
  if (!(in >> type >> blob)) return "";
  Result<Bytes> raw = DecodeBase64(blob);
  if (!raw.ok()) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(raw->data(), raw->size(), digest, &len, EVP_sha256(), nullptr);
  std::string b64 = EncodeBase64(std::string_view(reinterpret_cast<const char*>(digest), len));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

std::string MatchBlock(const DropAddArgs& a) {
  return fmt::format(
      "Match Group {}\n"
      "    ChrootDirectory {}/%u\n"
      "    AuthorizedKeysFile {}/%u\n"
      "    ForceCommand internal-sftp -u 0007\n"
      "    PasswordAuthentication no\n"
      "    AllowTcpForwarding no\n"
      "    AllowAgentForwarding no\n"
      "    X11Forwarding no\n"
      "    PermitTTY no\n"
      "    PermitTunnel no\n",
      a.partner_group, a.root, a.keys_dir);
}

}  // namespace

int RunDropAdd(const Config&, const DropAddArgs& a) {
  static const std::regex kName("[a-z][a-z0-9-]{0,30}");
  if (!std::regex_match(a.partner, kName))
    return Fail(Status::InvalidArgument("partner name \"" + a.partner + "\": lower-case letters, digits and -, 31 at most, a letter first"));
  for (const std::string* p : {&a.root, &a.keys_dir}) {
    if (!fs::path(*p).is_absolute()) return Fail(Status::InvalidArgument(*p + ": give an absolute path"));
  }
  Result<std::string> key = ReadPublicKey(a.key_file);
  if (!key.ok()) return Fail(key.status());
  if (::geteuid() != 0) return Fail(Status::PermissionDenied("drop add creates system accounts and root-owned folders: run it as root"));

  // Groups and the service user (telecollect itself runs as this user, never root).
  bool new_partner_group = false, new_service_group = false;
  Status s = EnsureGroup(a.partner_group, new_partner_group);
  if (s.ok()) s = EnsureGroup(a.service_user, new_service_group);
  if (s.ok() && ::getpwnam(a.service_user.c_str()) == nullptr) {
    s = RunTool({"useradd", "--system", "--gid", a.service_user, "--home-dir", "/nonexistent", "--no-create-home",
                 "--shell", "/usr/sbin/nologin", a.service_user});
    if (s.ok()) std::printf("created the user %s (group %s): run telecollect as it\n", a.service_user.c_str(), a.service_user.c_str());
  }
  if (!s.ok()) return Fail(s);
  const struct group* pg = ::getgrnam(a.partner_group.c_str());
  const struct passwd* service = ::getpwnam(a.service_user.c_str());
  if (pg == nullptr || service == nullptr) return Fail(Status::Internal("the groups were not created"));
  const gid_t partner_gid = pg->gr_gid, inbox_gid = service->pw_gid;

  // The partner's account: no shell, no password, in the partner group only.
  if (const struct passwd* existing = ::getpwnam(a.partner.c_str())) {
    if (existing->pw_gid != partner_gid)
      return Fail(Status::AlreadyExists("user " + a.partner + " exists and is not a drop partner (group " + a.partner_group + ")"));
  } else {
    s = RunTool({"useradd", "--system", "--gid", a.partner_group, "--home-dir", "/upload", "--no-create-home", "--shell",
                 "/usr/sbin/nologin", "--password", "*", a.partner});
    if (!s.ok()) return Fail(s);
  }
  const struct passwd* partner = ::getpwnam(a.partner.c_str());
  if (partner == nullptr) return Fail(Status::Internal("user " + a.partner + " was not created"));
  const uid_t partner_uid = partner->pw_uid;

  // The chroot (root's, not writable: sshd's rule), its upload folder (the
  // partner writes, telecollect's group reads and moves; new files inherit
  // the group), and the key where the partner cannot reach it.
  const std::string chroot = a.root + "/" + a.partner, upload = chroot + "/upload";
  const std::string key_path = a.keys_dir + "/" + a.partner;
  s = Directory(a.root, 0, 0, 0755);
  if (s.ok()) s = Directory(chroot, 0, 0, 0755);
  if (s.ok()) s = Directory(upload, partner_uid, inbox_gid, 02770);
  if (s.ok()) s = Directory(a.keys_dir, 0, 0, 0755);
  if (s.ok()) {
    const std::string tmp = key_path + ".tmp";
    std::ofstream(tmp, std::ios::trunc) << *key;
    if (::chown(tmp.c_str(), 0, 0) != 0 || ::chmod(tmp.c_str(), 0644) != 0 || ::rename(tmp.c_str(), key_path.c_str()) != 0)
      s = Status::IoError("cannot write " + key_path);
  }
  if (!s.ok()) return Fail(s);

  std::printf("partner %s: account %s (group %s, no shell), chroot %s, upload folder %s, key %s\n", a.partner.c_str(),
              a.partner.c_str(), a.partner_group.c_str(), chroot.c_str(), upload.c_str(), key_path.c_str());
  std::error_code ec;
  if (!fs::exists(a.sshd_config, ec)) {
    std::printf("\nOnce for all partners: save this as %s, then `systemctl reload ssh`:\n\n%s\n", a.sshd_config.c_str(),
                MatchBlock(a).c_str());
  }
  std::printf("\nThe connector (connectors/%s.toml), for telecollect running as %s:\n\n"
              "tenant = \"%s\"\nenv = \"preprod\"\nprofile = \"../profiles/%s.toml\"\nschedule = \"every 5m\"\n\n"
              "[source]\nurl = \"%s\"\npattern = \"*.csv\"\nstable_for = \"1m\"\nafter_import = \"archive\"\n",
              a.partner.c_str(), a.service_user.c_str(), a.partner.c_str(), a.partner.c_str(), upload.c_str());
  const std::string fp = Fingerprint(a.host_key);
  std::printf("\nFor the partner:\n"
              "  server    %s, port %d, user %s, authentication by the key you sent us\n"
              "  host key  %s\n"
              "  upload    each file under a temporary name, then rename it (files named *.part, *.tmp or .* are never read):\n"
              "              sftp -P %d %s@%s\n"
              "              sftp> put export.csv export.csv.part\n"
              "              sftp> rename export.csv.part export.csv\n",
              a.host.c_str(), a.port, a.partner.c_str(),
              fp.empty() ? ("(ssh-keygen -l -f " + a.host_key + " on the server)").c_str() : fp.c_str(), a.port,
              a.partner.c_str(), a.host.c_str());
  return kExitOk;
}

}  // namespace telecollect::cli
