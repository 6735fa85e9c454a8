#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace telecollect::mqtt {

// What telecollect knows of a platform's MQTT interface: default topics,
// envelope and user name (docs/mqtt.md).
enum class Platform { kNone, kTts, kChirpStack, kLiveObjects };

// One subscription: a topic filter and the envelope that reads its messages
// (a built-in source such as "ttn", or a configured envelope's name).
struct Subscription {
  std::string topic;
  std::string envelope;
};

// An MQTT subscription telecollect holds (type = "mqtt" in the connectors
// directories; every key in docs/mqtt.md). QoS 1, persistent session under a
// fixed client id; a message is acknowledged once its frames are committed.
struct MqttConnector {
  std::string name;
  std::string origin;
  Scope scope;
  bool enabled = true;
  Platform platform = Platform::kNone;

  // Broker.
  std::string host;
  int port = 0;
  bool tls = false;
  std::string username;
  std::string password;  // from the secrets file or environment (`password` or `api_key`), never the connector file
  std::string client_id;  // default "telecollect-<name>"
  int keepalive_s = 60;
  std::string ca_file, client_cert, client_key;  // PEM files; mqtts without ca_file: the system's CAs
  int64_t reconnect_min_ms = 1000;
  int64_t reconnect_max_ms = 60000;
  size_t max_message_bytes = 1 << 20;  // larger messages are refused (acknowledged, counted, logged)

  std::vector<Subscription> subscriptions;

  // "mqtts://host:8883" as said in logs and listings (no credentials).
  std::string BrokerUrl() const;
};

// Whether a connector file is an MQTT connector (type = "mqtt").
bool IsMqttConnectorFile(const std::string& path);

// Reads one connector file. Errors say the file and the key ("connector
// /x/tts.toml: broker.url: ..."); secrets are read from `secrets_file` and
// never appear in an error.
Result<MqttConnector> LoadMqttConnectorFile(const std::string& path, const std::string& secrets_file);
// The same from TOML text (tests); `name` as a file stem would give it.
Result<MqttConnector> ParseMqttConnector(std::string_view toml_text, const std::string& name,
                                         const std::string& origin, const std::string& secrets_file);

struct MqttConnectorSet {
  std::vector<MqttConnector> connectors;
  std::vector<std::pair<std::string, std::string>> refused;  // file, why
};
// Every *.toml with type = "mqtt" of the directories (a later one wins on the same name).
MqttConnectorSet LoadMqttConnectors(const std::vector<std::string>& dirs, const std::string& secrets_file);

// The subscription whose filter matches `topic` (the first listed), or null.
const Subscription* SubscriptionFor(const MqttConnector& connector, std::string_view topic);

const char* PlatformName(Platform platform);

}  // namespace telecollect::mqtt
