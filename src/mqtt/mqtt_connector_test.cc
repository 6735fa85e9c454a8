#include "mqtt/mqtt_connector.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace telecollect::mqtt {
namespace {

Result<MqttConnector> Parse(const std::string& text, const std::string& secrets = "") {
  return ParseMqttConnector(text, "c1", "/etc/tc/connectors/c1.toml", secrets);
}

std::string Error(const std::string& text) {
  auto r = Parse(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.status().message();
}

// A secrets file (mode 0600) for one test, removed after it.
class SecretsFile {
 public:
  explicit SecretsFile(const std::string& text)
      : path_((std::filesystem::temp_directory_path() / ("mqtt_secrets_" + std::to_string(::getpid()) + ".toml")).string()) {
    std::ofstream(path_) << text;
    ::chmod(path_.c_str(), 0600);
  }
  ~SecretsFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(MqttConnector, TtsPresetDerivesTopicAndEnvelopeFromTheUserName) {
  SecretsFile secrets("[c1]\napi_key = \"NNSXS.SECRET\"\n");
  auto c = Parse("type = \"mqtt\"\ntenant = \"acme\"\nplatform = \"tts\"\n"
                 "[broker]\nurl = \"mqtts://eu1.cloud.thethings.network\"\nusername = \"meters@ttn\"\n",
                 secrets.path());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->host, "eu1.cloud.thethings.network");
  EXPECT_EQ(c->port, 8883);
  EXPECT_TRUE(c->tls);
  EXPECT_EQ(c->password, "NNSXS.SECRET");
  EXPECT_EQ(c->client_id, "telecollect-c1");
  ASSERT_EQ(c->subscriptions.size(), 1u);
  EXPECT_EQ(c->subscriptions[0].topic, "v3/meters@ttn/devices/+/up");
  EXPECT_EQ(c->subscriptions[0].envelope, "ttn");
  EXPECT_EQ(c->scope.env, Env::kPreprod);
}

TEST(MqttConnector, ChirpStackAndLiveObjectsPresets) {
  auto cs = Parse("type = \"mqtt\"\ntenant = \"t\"\nplatform = \"chirpstack\"\n[broker]\nurl = \"mqtt://10.0.0.2\"\n");
  ASSERT_TRUE(cs.ok()) << cs.status().message();
  EXPECT_EQ(cs->port, 1883);
  EXPECT_FALSE(cs->tls);
  EXPECT_EQ(cs->subscriptions[0].topic, "application/+/device/+/event/up");
  EXPECT_EQ(cs->subscriptions[0].envelope, "chirpstack");

  auto lo = Parse("type = \"mqtt\"\ntenant = \"t\"\nplatform = \"liveobjects\"\nfifo = \"telecollect\"\n[broker]\n");
  ASSERT_TRUE(lo.ok()) << lo.status().message();
  EXPECT_EQ(lo->BrokerUrl(), "mqtts://liveobjects.orange-business.com:8883");
  EXPECT_EQ(lo->username, "application");
  EXPECT_EQ(lo->subscriptions[0].topic, "fifo/telecollect");
  EXPECT_EQ(lo->subscriptions[0].envelope, "liveobjects");
}

TEST(MqttConnector, GenericSubscriptionsWithTlsFilesRelativeToTheConnector) {
  auto c = Parse(R"(type = "mqtt"
tenant = "t"
env = "prod"
[broker]
url = "mqtts://[::1]:18883"
username = "u"
client_id = "fixed-id"
keepalive = "30s"
ca_file = "ca.pem"
client_cert = "/abs/client.pem"
client_key = "client.key"
[[subscribe]]
topic = "gw/+/uplink"
envelope = "picogw"
[[subscribe]]
topic = "lora/#"
envelope = "multitech"
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 18883);
  EXPECT_EQ(c->BrokerUrl(), "mqtts://[::1]:18883");
  EXPECT_EQ(c->ca_file, "/etc/tc/connectors/ca.pem");
  EXPECT_EQ(c->client_cert, "/abs/client.pem");
  EXPECT_EQ(c->client_key, "/etc/tc/connectors/client.key");
  EXPECT_EQ(c->client_id, "fixed-id");
  EXPECT_EQ(c->keepalive_s, 30);
  ASSERT_EQ(c->subscriptions.size(), 2u);
  EXPECT_EQ(SubscriptionFor(*c, "gw/a/uplink")->envelope, "picogw");
  EXPECT_EQ(SubscriptionFor(*c, "lora/x/up")->envelope, "multitech");
  EXPECT_EQ(SubscriptionFor(*c, "other"), nullptr);
}

TEST(MqttConnector, RefusalsSayWhereAndWhy) {
  const std::string head = "type = \"mqtt\"\ntenant = \"t\"\n";
  const std::string cs = head + "platform = \"chirpstack\"\n[broker]\n";
  const std::pair<std::string, std::string> cases[] = {
      {head + "platform = \"tts\"\n[broker]\nurl = \"mqtts://h\"\n",
       "broker.username is required for platform = \"tts\": \"<application id>@<tenant id>\" (\"@ttn\" on TTN)"},
      {cs + "url = \"http://h\"\n", "broker.url must start with mqtt:// or mqtts:// (TLS)"},
      {cs + "url = \"mqtt://u:p@h\"\n",
       "broker.url must not hold credentials: broker.username, and the password in the secrets file"},
      {cs + "url = \"mqtt://h:99999\"\n", "broker.url: port \"99999\" is not a number in 1..65535"},
      {cs + "url = \"mqtt://h\"\npassword = \"x\"\n",
       "broker.password must not be written in a connector file: put it in the secrets file or name an environment "
       "variable (password_env)"},
      {head + "[broker]\nurl = \"mqtt://h\"\n[[subscribe]]\ntopic = \"a/#/b\"\nenvelope = \"x\"\n",
       "subscribe[0].topic: level 2 (\"#\"): '#' must be the last level"},
      {head + "[broker]\nurl = \"mqtt://h\"\n[[subscribe]]\ntopic = \"a/b\"\n",
       "subscribe[0].envelope is required without a platform (a built-in source or a configured envelope's name)"},
      {head + "[broker]\nurl = \"mqtt://h\"\n",
       "no subscription: set platform (tts, chirpstack, liveobjects) or list [[subscribe]] tables with topic and envelope"},
      {head + "platform = \"thingpark\"\n",
       "platform \"thingpark\" is not one of tts, chirpstack, liveobjects (or leave it out and list [[subscribe]] with "
       "envelopes)"},
      {cs + "url = \"mqtt://h\"\nca_file = \"ca.pem\"\n",
       "broker.ca_file, client_cert and client_key need TLS: broker.url = \"mqtts://...\""},
      {cs + "url = \"mqtts://h\"\nclient_cert = \"c.pem\"\n",
       "broker.client_cert and broker.client_key go together (mutual TLS)"},
      {cs + "url = \"mqtt://h\"\nqos = 2\n", "unknown key broker.qos (line 6)"},
      {head + "platform = \"liveobjects\"\n[broker]\n",
       "platform = \"liveobjects\" needs fifo = \"<FIFO name>\" (or [[subscribe]] tables)"},
      {head + "platform = \"chirpstack\"\n", "[broker] is required (url, username)"},
  };
  for (const auto& [text, why] : cases) EXPECT_EQ(Error(text), "connector /etc/tc/connectors/c1.toml: " + why);
  EXPECT_EQ(Error("type = \"mqtt\"\n[broker\n").substr(0, 46), "connector /etc/tc/connectors/c1.toml: line 2: ");
}

TEST(MqttConnector, SecretsNeverAppearInErrors) {
  SecretsFile secrets("[c1]\npassword = \"hunter2-secret\"\napi_key = \"NNSXS.KEY\"\n");
  auto c = Parse("type = \"mqtt\"\ntenant = \"t\"\nplatform = \"chirpstack\"\n[broker]\nurl = \"mqtt://h\"\nusername = \"u\"\n",
                 secrets.path());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().find("hunter2"), std::string::npos);
  EXPECT_NE(c.status().message().find("give password or api_key, not both"), std::string::npos);
}

}  // namespace
}  // namespace telecollect::mqtt
