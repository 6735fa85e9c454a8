#include "pull/api_connector.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace telecollect::pull {
namespace {

class ApiConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tc_api_XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text, int mode = 0644) {
    const std::string p = dir_ + "/" + name;
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p;
  }
  std::string dir_;
};

constexpr const char* kMinimal = R"(type = "api"
tenant = "acme"
module = "v.{meter}"
[[meters]]
id = "m1"
[request]
url = "https://api.example/{meter}"
[request.query]
from = "{from}"
[auth]
kind = "api_key"
[mapping]
format = "json"
records = "/data"
[mapping.fields]
timestamp = "t"
value = "v"
)";

TEST_F(ApiConnectorTest, LoadsWithSecretsFromTheSecretsFile) {
  const std::string secrets = Write("secrets.toml", "[vendor]\napi_key = \"k\"\n", 0600);
  Result<ApiConnector> c = LoadApiConnectorFile(Write("vendor.toml", kMinimal), secrets);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->name, "vendor");
  EXPECT_EQ(c->auth.secrets.at("api_key"), "k");
  EXPECT_EQ(c->meters.size(), 1u);
  EXPECT_EQ(c->window.timezone, "Europe/Paris");
  EXPECT_TRUE(IsApiConnectorFile(dir_ + "/vendor.toml"));
}

TEST_F(ApiConnectorTest, RefusesWithPreciseReasons) {
  const std::string secrets = Write("secrets.toml", "[vendor]\napi_key = \"k\"\n", 0600);
  auto error = [&](const std::string& text) {
    Result<ApiConnector> c = LoadApiConnectorFile(Write("vendor.toml", text), secrets);
    return c.ok() ? std::string("loaded") : c.status().message();
  };
  const std::string base = kMinimal;
  EXPECT_NE(error(base + "bogus = 1\n").find("bogus"), std::string::npos);
  std::string s = base;
  s.replace(s.find("kind = \"api_key\""), 16, "kind = \"api_key\"\napi_key = \"in-git\"");
  EXPECT_NE(error(s).find("must not be written in a connector file"), std::string::npos);
  s = base;
  s.replace(s.find("[auth]"), 6, "[pagination]\nkind = \"cursor\"\n[auth]");
  EXPECT_NE(error(s).find("cursor_path"), std::string::npos);
  s = base;
  const std::string module_line = "module = \"v.{meter}\"\n";
  s.erase(s.find(module_line), module_line.size());
  EXPECT_NE(error(s).find("fields.module is required"), std::string::npos);
  s = base;
  s.replace(s.find("[auth]"), 6, "[window]\nalign = \"day\"\nmax = \"1h\"\n[auth]");
  EXPECT_NE(error(s).find("window.align"), std::string::npos);
  s = base;
  s.replace(s.find("[auth]"), 6, "[response]\nrecord_status = [\"/s\"]\nstatus_ok = [\"0\"]\n[auth]");
  EXPECT_NE(error(s).find("apply to NDJSON answers"), std::string::npos) << error(s);
  s = base;
  s.replace(s.find("tenant = \"acme\""), 15, "tenant = \"acme\"\n[variables]\nbase = \"CHANGE-ME\"");
  EXPECT_NE(error(s).find("variables.base is still \"CHANGE-ME\""), std::string::npos) << error(s);
  Write("secrets.toml", "[vendor]\napi_key = \"k\"\n", 0644);
  EXPECT_NE(error(base).find("chmod 600"), std::string::npos);
}

TEST_F(ApiConnectorTest, ShippedPresetsLoadOnceMetersAreListed) {
  const char* src = std::getenv("TELECOLLECT_SOURCE_DIR");
  const std::string presets = std::string(src != nullptr ? src : ".") + "/presets";
  ASSERT_TRUE(std::filesystem::is_directory(presets)) << "no presets dir at " << presets;
  std::string secrets_text;
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(presets)) {
    if (e.path().extension() != ".toml") continue;
    ++n;
    const std::string name = e.path().stem().string();
    secrets_text += "[" + name + "]\nclient_secret = \"s\"\n";
  }
  const std::string secrets = Write("secrets.toml", secrets_text, 0600);
  // As shipped, a preset is refused while CHANGE-ME is left in it, naming the key.
  ApiConnectorSet raw = LoadApiConnectors({presets}, secrets, dir_ + "/state.key");
  EXPECT_EQ(raw.refused.size(), static_cast<size_t>(n));
  for (const auto& [file, why] : raw.refused) {
    EXPECT_NE(why.find(" is still \"CHANGE-ME\": a preset does nothing"), std::string::npos) << file << ": " << why;
  }
  // Filled in, without a meter: it says what to add.
  auto fill = [](std::string text) {
    for (size_t at; (at = text.find("CHANGE-ME")) != std::string::npos;) text.replace(at, 9, "acme");
    return text;
  };
  std::filesystem::create_directory(dir_ + "/connectors");
  for (const auto& e : std::filesystem::directory_iterator(presets)) {
    if (e.path().extension() != ".toml") continue;
    std::ifstream in(e.path());
    std::stringstream text;
    text << in.rdbuf();
    Write("connectors/" + e.path().filename().string(), fill(text.str()));
  }
  ApiConnectorSet no_meter = LoadApiConnectors({dir_ + "/connectors"}, secrets, dir_ + "/state.key");
  for (const auto& [file, why] : no_meter.refused) EXPECT_NE(why.find("add [[meters]]"), std::string::npos) << file << ": " << why;
  EXPECT_EQ(no_meter.refused.size(), static_cast<size_t>(n));
  // With a meter, every preset loads, and stays off the schedule until enabled.
  for (const auto& e : std::filesystem::directory_iterator(presets)) {
    if (e.path().extension() != ".toml") continue;
    std::ifstream in(e.path());
    std::stringstream text;
    text << in.rdbuf() << "\n[[meters]]\nid = \"12345678901234\"\n";
    Write("connectors/" + e.path().filename().string(), fill(text.str()));
  }
  ApiConnectorSet set = LoadApiConnectors({dir_ + "/connectors"}, secrets, dir_ + "/state.key");
  for (const auto& [file, why] : set.refused) ADD_FAILURE() << file << ": " << why;
  EXPECT_EQ(set.connectors.size(), static_cast<size_t>(n));
  for (const auto& c : set.connectors) EXPECT_FALSE(c.enabled) << c.name;
  EXPECT_GE(n, 5);
}

}  // namespace
}  // namespace telecollect::pull
