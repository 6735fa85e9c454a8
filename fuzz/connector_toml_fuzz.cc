// A connector file (files/connector.cc for type "files", pull/api_connector.cc for type "api")
// on any text, read as <dir>/fz.toml beside a secrets file whose [fz] table holds every secret
// a connector may name, and an environment variable holding one more. A refusal has a message;
// no message, refusal or not, ever shows a secret's value (docs: secrets never in errors); an
// accepted connector is named after its file and has a tenant.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "files/connector.h"
#include "pull/api_connector.h"

namespace {

constexpr std::string_view kSecretMark = "sEcReT-";

bool WriteFile(const std::string& path, std::string_view text, mode_t mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return false;
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

const std::string& Dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/tc_connector_fuzz_XXXXXX";
    const char* d = mkdtemp(tmpl);
    if (d == nullptr) __builtin_trap();
    const std::string secrets =
        "[fz]\npassword = \"sEcReT-password-81f3\"\nkey_passphrase = \"sEcReT-passphrase-1c07\"\n"
        "api_key = \"sEcReT-apikey-66d2\"\ntoken = \"sEcReT-token-90aa\"\nclient_secret = \"sEcReT-client-3b5e\"\n"
        "refresh_token = \"sEcReT-refresh-c4d9\"\n";
    if (!WriteFile(std::string(d) + "/secrets.toml", secrets, 0600)) __builtin_trap();
    setenv("TC_FUZZ_SECRET", "sEcReT-env-51b2", 1);
    static std::string made(d);
    std::atexit([] { std::filesystem::remove_all(made); });  // libFuzzer ends with exit()
    return std::string(d);
  }();
  return dir;
}

void CheckMessage(const std::string& message, bool input_has_mark) {
  if (message.empty()) __builtin_trap();
  if (!input_has_mark && message.find(kSecretMark) != std::string::npos) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect;
  if (size > 4096) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool has_mark = text.find(kSecretMark) != std::string_view::npos;
  const std::string path = Dir() + "/fz.toml";
  if (!WriteFile(path, text, 0600)) return 0;
  const std::string secrets = Dir() + "/secrets.toml";
  if (pull::IsApiConnectorFile(path)) {
    auto c = pull::LoadApiConnectorFile(path, secrets);
    if (!c.ok()) return CheckMessage(c.status().message(), has_mark), 0;
    if (c->name != "fz" || c->scope.tenant.empty()) __builtin_trap();
  } else {
    auto c = files::LoadConnectorFile(path, secrets);
    if (!c.ok()) return CheckMessage(c.status().message(), has_mark), 0;
    if (c->name != "fz" || c->scope.tenant.empty()) __builtin_trap();
  }
  return 0;
}
