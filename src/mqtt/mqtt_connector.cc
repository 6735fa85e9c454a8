#include "mqtt/mqtt_connector.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <toml++/toml.h>

#include "core/connector_files.h"
#include "core/secrets.h"
#include "core/toml_reader.h"
#include "mqtt/topic_filter.h"

namespace telecollect::mqtt {
namespace {

namespace fs = std::filesystem;

// "mqtt://host[:port]" or "mqtts://host[:port]"; "[v6]" hosts.
Status ParseBrokerUrl(const std::string& url, MqttConnector& c) {
  const std::string_view u = url;
  std::string_view rest;
  if (u.starts_with("mqtt://")) {
    rest = u.substr(7);
    c.tls = false;
    c.port = 1883;
  } else if (u.starts_with("mqtts://")) {
    rest = u.substr(8);
    c.tls = true;
    c.port = 8883;
  } else {
    return Status::InvalidArgument("broker.url must start with mqtt:// or mqtts:// (TLS)");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('@') != std::string_view::npos)
    return Status::InvalidArgument("broker.url must not hold credentials: broker.username, and the password in the secrets file");
  if (rest.find('/') != std::string_view::npos || rest.find('?') != std::string_view::npos)
    return Status::InvalidArgument("broker.url is a host and port only (topics go in [[subscribe]])");
  std::string_view host = rest, port;
  if (rest.starts_with("[")) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("broker.url: unclosed '[' in the host");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return Status::InvalidArgument("broker.url: ':' expected after ']'");
      port = rest.substr(close + 2);
    }
  } else if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return Status::InvalidArgument("broker.url has no host");
  c.host = std::string(host);
  if (!port.empty() || rest.ends_with(":")) {
    int p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535)
      return Status::InvalidArgument("broker.url: port \"" + std::string(port) + "\" is not a number in 1..65535");
    c.port = p;
  }
  return Status::Ok();
}

Status ReadPlatform(const std::string& text, Platform& out) {
  if (text.empty()) out = Platform::kNone;
  else if (text == "tts" || text == "ttn") out = Platform::kTts;
  else if (text == "chirpstack") out = Platform::kChirpStack;
  else if (text == "liveobjects") out = Platform::kLiveObjects;
  else return Status::InvalidArgument("platform \"" + text + "\" is not one of tts, chirpstack, liveobjects (or leave it out and list [[subscribe]] with envelopes)");
  return Status::Ok();
}

std::string DefaultEnvelope(Platform p) {
  switch (p) {
    case Platform::kTts: return "ttn";
    case Platform::kChirpStack: return "chirpstack";
    case Platform::kLiveObjects: return "liveobjects";
    case Platform::kNone: break;
  }
  return "";
}

Status ReadSubscriptions(TableReader& r, MqttConnector& c, const std::string& fifo) {
  if (const toml::node* n = r.Node("subscribe")) {
    const toml::array* arr = n->as_array();
    if (arr == nullptr) return Status::InvalidArgument("subscribe must be an array of tables ([[subscribe]])");
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string where = "subscribe[" + std::to_string(i) + "]";
      const toml::table* t = (*arr)[i].as_table();
      if (t == nullptr) return Status::InvalidArgument(where + " must be a table");
      TableReader s(t, where);
      Subscription sub;
      TC_RETURN_IF_ERROR(s.String("topic", sub.topic));
      TC_RETURN_IF_ERROR(s.String("envelope", sub.envelope));
      TC_RETURN_IF_ERROR(s.Leftovers());
      if (sub.topic.empty()) return Status::InvalidArgument(where + ".topic is required");
      Status topic_ok = CheckTopicFilter(sub.topic);
      if (!topic_ok.ok()) return Status::InvalidArgument(where + ".topic: " + topic_ok.message());
      if (sub.envelope.empty()) sub.envelope = DefaultEnvelope(c.platform);
      if (sub.envelope.empty())
        return Status::InvalidArgument(where + ".envelope is required without a platform (a built-in source or a configured envelope's name)");
      for (const Subscription& other : c.subscriptions) {
        if (other.topic == sub.topic) return Status::InvalidArgument(where + ".topic \"" + sub.topic + "\" is listed twice");
      }
      c.subscriptions.push_back(std::move(sub));
    }
    if (arr->empty()) return Status::InvalidArgument("subscribe is empty: list at least one [[subscribe]] topic");
    if (!fifo.empty()) return Status::InvalidArgument("fifo and [[subscribe]] are exclusive: fifo = \"x\" subscribes to fifo/x");
    return Status::Ok();
  }
  switch (c.platform) {
    case Platform::kTts:
      // The Things Stack: the user name is the application id with its tenant ("app@ttn").
      c.subscriptions.push_back({"v3/" + c.username + "/devices/+/up", "ttn"});
      break;
    case Platform::kChirpStack:
      c.subscriptions.push_back({"application/+/device/+/event/up", "chirpstack"});
      break;
    case Platform::kLiveObjects:
      if (fifo.empty()) return Status::InvalidArgument("platform = \"liveobjects\" needs fifo = \"<FIFO name>\" (or [[subscribe]] tables)");
      c.subscriptions.push_back({"fifo/" + fifo, "liveobjects"});
      break;
    case Platform::kNone:
      return Status::InvalidArgument("no subscription: set platform (tts, chirpstack, liveobjects) or list [[subscribe]] tables with topic and envelope");
  }
  return CheckTopicFilter(c.subscriptions.back().topic);
}

Status ReadBroker(TableReader& b, const std::string& secrets_file, MqttConnector& c, const fs::path& base) {
  std::string url;
  TC_RETURN_IF_ERROR(b.String("url", url));
  if (url.empty() && c.platform == Platform::kLiveObjects) url = "mqtts://liveobjects.orange-business.com:8883";
  if (url.empty()) return Status::InvalidArgument("broker.url is required (mqtt://host:1883 or mqtts://host:8883)");
  TC_RETURN_IF_ERROR(ParseBrokerUrl(url, c));
  TC_RETURN_IF_ERROR(b.String("username", c.username));
  TC_RETURN_IF_ERROR(b.String("client_id", c.client_id));
  int64_t keepalive_ms = int64_t{c.keepalive_s} * 1000;
  TC_RETURN_IF_ERROR(b.Duration("keepalive", keepalive_ms));
  if (keepalive_ms < 5000 || keepalive_ms > 65535000) return Status::InvalidArgument("broker.keepalive must be within 5s..18h");
  c.keepalive_s = static_cast<int>(keepalive_ms / 1000);
  TC_RETURN_IF_ERROR(b.String("ca_file", c.ca_file));
  TC_RETURN_IF_ERROR(b.String("client_cert", c.client_cert));
  TC_RETURN_IF_ERROR(b.String("client_key", c.client_key));
  TC_RETURN_IF_ERROR(b.Duration("reconnect_min", c.reconnect_min_ms));
  TC_RETURN_IF_ERROR(b.Duration("reconnect_max", c.reconnect_max_ms));
  TC_RETURN_IF_ERROR(b.Integer("max_message_bytes", c.max_message_bytes, 1));
  if (c.reconnect_min_ms < 100) return Status::InvalidArgument("broker.reconnect_min must be at least 100ms");
  if (c.reconnect_max_ms < c.reconnect_min_ms) return Status::InvalidArgument("broker.reconnect_max must not be below broker.reconnect_min");
  for (std::string* p : {&c.ca_file, &c.client_cert, &c.client_key}) *p = ResolveBesideConnector(base, *p);
  if (c.client_cert.empty() != c.client_key.empty())
    return Status::InvalidArgument("broker.client_cert and broker.client_key go together (mutual TLS)");
  if (!c.tls && (!c.ca_file.empty() || !c.client_cert.empty()))
    return Status::InvalidArgument("broker.ca_file, client_cert and client_key need TLS: broker.url = \"mqtts://...\"");
  TC_ASSIGN_OR_RETURN(auto secrets, SecretReader(secrets_file, c.name, {"password", "api_key"}).Read(b));
  if (secrets.count("password") && secrets.count("api_key"))
    return Status::InvalidArgument("secrets: give password or api_key, not both (an API key is sent as the MQTT password)");
  if (auto it = secrets.find("password"); it != secrets.end()) c.password = it->second;
  if (auto it = secrets.find("api_key"); it != secrets.end()) c.password = it->second;
  TC_RETURN_IF_ERROR(b.Leftovers());
  if (c.platform == Platform::kLiveObjects && c.username.empty()) c.username = "application";
  if (c.platform == Platform::kTts && c.username.empty())
    return Status::InvalidArgument("broker.username is required for platform = \"tts\": \"<application id>@<tenant id>\" (\"@ttn\" on TTN)");
  if (!c.password.empty() && c.username.empty())
    return Status::InvalidArgument("a password is set but broker.username is not");
  if (c.client_id.empty()) c.client_id = "telecollect-" + c.name;
  if (c.client_id.size() > 65535) return Status::InvalidArgument("broker.client_id is too long");
  return Status::Ok();
}

}  // namespace

std::string MqttConnector::BrokerUrl() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "mqtts://" : "mqtt://") + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

const char* PlatformName(Platform platform) {
  switch (platform) {
    case Platform::kTts: return "tts";
    case Platform::kChirpStack: return "chirpstack";
    case Platform::kLiveObjects: return "liveobjects";
    case Platform::kNone: break;
  }
  return "";
}

bool IsMqttConnectorFile(const std::string& path) {
  try {
    return toml::parse_file(path)["type"].value_or(std::string()) == "mqtt";
  } catch (const toml::parse_error&) {
    return false;
  }
}

Result<MqttConnector> ParseMqttConnector(std::string_view toml_text, const std::string& name, const std::string& origin,
                                         const std::string& secrets_file) {
  MqttConnector c;
  c.name = name;
  c.origin = origin;
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument("connector " + origin + ": line " + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  auto body = [&]() -> Status {
    TableReader r(&root, "");
    std::string type, env = "preprod", platform, fifo;
    TC_RETURN_IF_ERROR(r.String("type", type));
    if (type != "mqtt") return Status::InvalidArgument("type must be \"mqtt\" for an MQTT connector");
    TC_RETURN_IF_ERROR(r.String("tenant", c.scope.tenant));
    if (c.scope.tenant.empty()) return Status::InvalidArgument("tenant is required");
    TC_RETURN_IF_ERROR(r.String("env", env));
    TC_ASSIGN_OR_RETURN(c.scope.env, ParseEnv(env));
    TC_RETURN_IF_ERROR(r.Bool("enabled", c.enabled));
    TC_RETURN_IF_ERROR(r.String("platform", platform));
    TC_RETURN_IF_ERROR(ReadPlatform(platform, c.platform));
    TC_RETURN_IF_ERROR(r.String("fifo", fifo));
    if (!fifo.empty() && c.platform != Platform::kLiveObjects) return Status::InvalidArgument("fifo is for platform = \"liveobjects\"");
    if (fifo.find_first_of("/+#") != std::string::npos) return Status::InvalidArgument("fifo is a FIFO name, without '/', '+' or '#'");
    TC_RETURN_IF_ERROR(r.CheckTable("broker"));
    if (r.Table("broker") == nullptr) return Status::InvalidArgument("[broker] is required (url, username)");
    TableReader b(r.Table("broker"), "broker");
    TC_RETURN_IF_ERROR(ReadBroker(b, secrets_file, c, fs::path(origin).parent_path()));
    TC_RETURN_IF_ERROR(ReadSubscriptions(r, c, fifo));
    return r.Leftovers();
  };
  Status s = body();
  if (!s.ok()) return s.WithContext("connector " + origin);
  return c;
}

Result<MqttConnector> LoadMqttConnectorFile(const std::string& path, const std::string& secrets_file) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("connector " + path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseMqttConnector(text.str(), fs::path(path).stem().string(), path, secrets_file);
}

MqttConnectorSet LoadMqttConnectors(const std::vector<std::string>& dirs, const std::string& secrets_file) {
  MqttConnectorSet set;
  LoadConnectorFiles<MqttConnector>(
      dirs, IsMqttConnectorFile, [&](const std::string& path) { return LoadMqttConnectorFile(path, secrets_file); },
      set.connectors, set.refused);
  return set;
}

const Subscription* SubscriptionFor(const MqttConnector& connector, std::string_view topic) {
  for (const Subscription& s : connector.subscriptions) {
    if (TopicMatches(s.topic, topic)) return &s;
  }
  return nullptr;
}

}  // namespace telecollect::mqtt
