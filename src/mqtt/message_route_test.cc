// A message on a subscribed topic → the envelope its subscription names → frames,
// as the push path parses them.
#include "mqtt/message_route.h"

#include <gtest/gtest.h>

#include "core/hex.h"
#include "push/configured_envelope.h"
#include "push/envelope.h"

namespace telecollect::mqtt {
namespace {

constexpr EpochMs kNow = 1750000000000;  // 2025-06-15

MqttConnector Connector(const std::string& toml) {
  auto c = ParseMqttConnector("type = \"mqtt\"\ntenant = \"t\"\n" + toml, "c1", "c1.toml", "");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : MqttConnector{};
}

push::ParsedFrames Frames(const MqttConnector& c, std::string_view topic, std::string_view body) {
  auto route = RouteForTopic(c, topic);
  EXPECT_TRUE(route) << topic;
  if (!route) return {};
  auto envelope = push::FindEnvelope(route->source);
  EXPECT_NE(envelope, nullptr) << route->source;
  if (!envelope) return {};
  push::PushRequest req{body, "application/json", kNow, 100, 86400000, route->subpath, route->query};
  return envelope->Parse(req);
}

TEST(MessageRoute, TtsUplinkBecomesOneFrame) {
  const MqttConnector c = Connector("platform = \"tts\"\n[broker]\nurl = \"mqtts://h\"\nusername = \"meters@ttn\"\n");
  auto p = Frames(c, "v3/meters@ttn/devices/bat-a/up", R"({
    "end_device_ids": {"device_id": "bat-a", "dev_eui": "70B3D5E75E001122"},
    "received_at": "2025-03-10T08:15:02.481Z",
    "uplink_message": {"f_port": 2, "f_cnt": 7, "frm_payload": "y/YLDQN2AQrdf/8="}})");
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 1u);
  EXPECT_EQ(p.frames[0].device_id, "70B3D5E75E001122");
  EXPECT_EQ(EncodeHex(p.frames[0].payload), "cbf60b0d0376010add7fff");
  EXPECT_EQ(p.frames[0].fport, 2);
  EXPECT_FALSE(RouteForTopic(c, "v3/meters@ttn/devices/bat-a/join"));
  EXPECT_FALSE(RouteForTopic(c, "v3/other@ttn/devices/bat-a/up"));
}

TEST(MessageRoute, ChirpStackEventComesFromTheTopic) {
  const MqttConnector c = Connector(
      "platform = \"chirpstack\"\n[broker]\nurl = \"mqtt://h\"\n[[subscribe]]\ntopic = \"application/+/device/+/event/+\"\n");
  const std::string body = R"({"deduplicationId": "3f2c9a7e-5b1d-4e8a-9c0f-1a2b3c4d5e6f", "time": "2025-03-10T08:15:02.481Z",
    "deviceInfo": {"devEui": "70b3d5e75e001122"}, "fCnt": 412, "fPort": 3, "data": "AQDmAhw="})";
  auto route = RouteForTopic(c, "application/0b1f/device/70b3d5e75e001122/event/up");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->source, "chirpstack");
  EXPECT_EQ(route->query.at("event"), "up");
  auto up = Frames(c, "application/0b1f/device/70b3d5e75e001122/event/up", body);
  ASSERT_EQ(up.frames.size(), 1u);
  EXPECT_EQ(up.frames[0].device_id, "70B3D5E75E001122");
  EXPECT_EQ(up.frames[0].fport, 3);
  auto status = Frames(c, "application/0b1f/device/70b3d5e75e001122/event/status",
                       R"({"deviceInfo": {"devEui": "70b3d5e75e001122"}, "batteryLevel": 90})");
  EXPECT_FALSE(status.error);
  EXPECT_TRUE(status.frames.empty());
  EXPECT_EQ(status.ignored, 1u);
}

TEST(MessageRoute, LiveObjectsFifoMessage) {
  const MqttConnector c = Connector("platform = \"liveobjects\"\nfifo = \"tc\"\n[broker]\n");
  auto p = Frames(c, "fifo/tc", R"({"streamId": "urn:lo:nsid:lora:70B3D5E75E001122", "timestamp": "2025-03-10T08:15:02.481Z",
    "value": {"payload": "0100e6021c"}, "metadata": {"network": {"lora": {"devEUI": "70B3D5E75E001122", "port": 3}}}})");
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 1u);
  EXPECT_EQ(p.frames[0].device_id, "70B3D5E75E001122");
  EXPECT_EQ(EncodeHex(p.frames[0].payload), "0100e6021c");
}

TEST(MessageRoute, ConfiguredEnvelopeOnAnyTopic) {
  auto env = push::LoadEnvelopeSpec(R"(name = "relay"
frames = "rxpk"
device_id = "$.gateway_eui"
time = "time"
payload = "data"
payload_encoding = "base64"
)", "relay.toml");
  ASSERT_TRUE(env.ok()) << env.status().message();
  push::SetConfiguredEnvelopes({*env});
  const MqttConnector c = Connector("[broker]\nurl = \"mqtt://h\"\n[[subscribe]]\ntopic = \"gw/#\"\nenvelope = \"relay\"\n");
  auto p = Frames(c, "gw/aa555a0000000101/rx", R"({"gateway_eui": "aa555a0000000101", "rxpk": [
    {"time": "2025-03-10T08:15:02.481Z", "data": "QAE="}, {"time": "2025-03-10T08:15:03Z", "data": "gAE="}]})");
  push::SetConfiguredEnvelopes({});
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 2u);
  EXPECT_EQ(EncodeHex(p.frames[1].payload), "8001");
}

}  // namespace
}  // namespace telecollect::mqtt
