// Each platform's documented body shape (docs/platforms/) → frames.
#include "push/platform_envelope.h"

#include <gtest/gtest.h>

namespace telecollect::push {
namespace {

constexpr EpochMs kNow = 1750000000000;  // 2025-06-15

ParsedFrames Parse(std::string_view source, std::string_view body, std::map<std::string, std::string> query = {},
                   std::vector<std::string> subpath = {}) {
  const auto env = FindEnvelope(source);
  EXPECT_NE(env, nullptr) << source;
  PushRequest req{body, "application/json", kNow, 100, 86400000, std::move(subpath), std::move(query)};
  return env->Parse(req);
}

Frame One(const ParsedFrames& p) {
  EXPECT_FALSE(p.error) << p.error->ToString();
  EXPECT_EQ(p.frames.size(), 1u);
  return p.frames.empty() ? Frame{} : p.frames[0];
}

TEST(TtnTest, UplinkWebhook) {
  auto p = Parse("ttn", R"({
    "end_device_ids": {"device_id": "bat-a-r2-t01", "application_ids": {"application_id": "gtb-site-12"},
                       "dev_eui": "70B3D5E75E001122", "dev_addr": "260B1A2C"},
    "received_at": "2025-03-10T08:15:02.481734912Z",
    "uplink_message": {"f_port": 3, "f_cnt": 412, "frm_payload": "AQDmAhw=",
      "rx_metadata": [{"gateway_ids": {"gateway_id": "gw-roof-1"}, "rssi": -97, "snr": 6.5}],
      "version_ids": {"brand_id": "dragino", "model_id": "lht65"},
      "received_at": "2025-03-10T08:15:02.470Z"}})");
  const Frame f = One(p);
  EXPECT_EQ(f.source, "ttn");
  EXPECT_EQ(f.device_id, "70B3D5E75E001122");
  EXPECT_EQ(f.event_time, *ParseIso8601("2025-03-10T08:15:02.481Z"));
  EXPECT_EQ(EncodeHex(f.payload), "0100e6021c");
  EXPECT_EQ(f.fport, 3);
  EXPECT_EQ(f.device_type, "dragino-lht65");
  EXPECT_NE(f.metadata_json.find("\"uplink_message.f_cnt\":412"), std::string::npos) << f.metadata_json;
}

TEST(TtnTest, OmittedZeroFieldsAndOtherMessages) {
  const Frame f = One(Parse("ttn", R"({"end_device_ids": {"dev_eui": "0011223344556677"},
    "received_at": "2025-03-10T08:15:02Z", "uplink_message": {"f_cnt": 1}})"));
  EXPECT_EQ(f.fport, 0);
  EXPECT_TRUE(f.payload.empty());
  auto join = Parse("ttn", R"({"end_device_ids": {"dev_eui": "00"}, "join_accept": {"session_key_id": "x"}})");
  EXPECT_FALSE(join.error);
  EXPECT_EQ(join.ignored, 1u);
  EXPECT_TRUE(join.frames.empty());
  auto bad = Parse("ttn", R"({"end_device_ids": {"dev_eui": "00"}, "uplink_message": {"frm_payload": "$$"}})");
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->field, "uplink_message.frm_payload");
}

TEST(ChirpstackTest, UpEventAndOthers) {
  const char* body = R"({"deduplicationId": "3f2c9a7e-5b1d-4e8a-9c0f-1a2b3c4d5e6f", "time": "2025-03-10T08:15:02.481Z",
    "deviceInfo": {"tenantName": "acme", "deviceProfileName": "nexelec-carbon", "deviceName": "bat-a-r2-t01",
                   "devEui": "70b3d5e75e001122"},
    "devAddr": "260b1a2c", "dr": 3, "fCnt": 412, "fPort": 3, "data": "AQDmAhw=",
    "rxInfo": [{"gatewayId": "b827ebfffe001234", "rssi": -97, "snr": 6.5}]})";
  const Frame f = One(Parse("chirpstack", body, {{"event", "up"}}));
  EXPECT_EQ(f.device_id, "70B3D5E75E001122");
  EXPECT_EQ(f.device_type, "nexelec-carbon");
  EXPECT_EQ(f.fport, 3);
  EXPECT_EQ(EncodeHex(f.payload), "0100e6021c");
  EXPECT_NE(f.metadata_json.find("deduplicationId"), std::string::npos);
  auto status = Parse("chirpstack", R"({"deviceInfo": {"devEui": "00"}, "batteryLevel": 90})", {{"event", "status"}});
  EXPECT_EQ(status.ignored, 1u);
  EXPECT_TRUE(status.frames.empty());
  auto missing = Parse("chirpstack", R"({"data": "AQ=="})", {{"event", "up"}});
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->field, "deviceInfo.devEui");
}

TEST(SigfoxTest, TimeQuotedOrNot) {
  const Frame f = One(Parse("sigfox", R"({"device": "2c4f1a", "time": 1741594502, "data": "0100e6021c000000",
    "seqNumber": 1387, "station": "7A1F", "rssi": -118.5, "snr": 14.2, "duplicate": false})"));
  EXPECT_EQ(f.device_id, "2C4F1A");
  EXPECT_EQ(f.event_time, 1741594502000);
  EXPECT_FALSE(f.fport);
  EXPECT_NE(f.metadata_json.find("\"seqNumber\":1387"), std::string::npos);
  const Frame g = One(Parse("sigfox", R"({"device": "2C4F1A", "time": "1741594502", "data": "01"})"));
  EXPECT_EQ(g.event_time, 1741594502000);
  auto big = Parse("sigfox", R"({"device": "2C4F1A", "time": 1741594502, "data": "00112233445566778899aabbcc"})");
  ASSERT_TRUE(big.error);
  EXPECT_NE(big.error->reason.find("12 bytes"), std::string::npos);
  auto no_time = Parse("sigfox", R"({"device": "2C4F1A", "data": "01"})");
  ASSERT_TRUE(no_time.error);
  EXPECT_EQ(no_time.error->field, "time");
}

TEST(LiveObjectsTest, LoraDataMessage) {
  const Frame f = One(Parse("liveobjects", R"({"id": "65f0a9b2c3d4e5f601234567",
    "streamId": "urn:lo:nsid:lora:70B3D5E75E001122", "timestamp": "2025-03-10T08:15:02.481Z",
    "model": "lora_v0", "value": {"payload": "0100e6021c"},
    "metadata": {"source": "urn:lo:nsid:lora:70B3D5E75E001122", "connector": "lora",
      "network": {"lora": {"devEUI": "70B3D5E75E001122", "port": 3, "fcnt": 412, "rssi": -97}}}, "tags": []})"));
  EXPECT_EQ(f.device_id, "70B3D5E75E001122");
  EXPECT_EQ(f.fport, 3);
  EXPECT_EQ(EncodeHex(f.payload), "0100e6021c");
  // Without metadata.network: the id comes from the stream id.
  const Frame g = One(Parse("liveobjects", R"({"streamId": "urn:lo:nsid:lora:70b3d5e75e001122",
    "timestamp": "2025-03-10T08:15:02.481Z", "value": {"payload": "01"}})"));
  EXPECT_EQ(g.device_id, "70B3D5E75E001122");
}

TEST(ObjeniousTest, OnlyUplinksBecomeFrames) {
  const Frame f = One(Parse("objenious", R"({"id": "a1b2c3d4e5-00ff12ab", "timestamp": "2025-03-10T08:15:02.481000000Z",
    "device_id": 98765, "type": "uplink", "count": 412, "payload_cleartext": "0100e6021c",
    "protocol_data": {"port": 3, "DevAddr": "0e1a2b3c"},
    "device_properties": {"deveui": "70b3d5e75e001122", "external_id": "BAT-A-R2-T01"}})"));
  EXPECT_EQ(f.device_id, "70B3D5E75E001122");
  EXPECT_EQ(f.event_time, *ParseIso8601("2025-03-10T08:15:02.481Z"));
  EXPECT_EQ(f.fport, 3);
  auto join = Parse("objenious", R"({"type": "join", "device_properties": {"deveui": "00"}})");
  EXPECT_EQ(join.ignored, 1u);
}

TEST(ThingparkTest, NumbersAsStringsAndOffsets) {
  const Frame f = One(Parse("thingpark", R"({"DevEUI_uplink": {
    "Time": "2025-03-10T09:15:02.481+01:00", "DevEUI": "70B3D5E75E001122",
    "FPort": "3", "FCntUp": 412, "payload_hex": "0100e6021c", "LrrRSSI": "-97.000000",
    "CustomerData": {"alr": {"pro": "NEXELEC/CARBON", "ver": "1"}, "name": "bat-a-r2-t01"}}})"));
  EXPECT_EQ(f.event_time, *ParseIso8601("2025-03-10T08:15:02.481Z"));
  EXPECT_EQ(f.fport, 3);
  EXPECT_EQ(f.device_type, "NEXELEC/CARBON");
  auto notif = Parse("thingpark", R"({"DevEUI_notification": {"DevEUI": "00"}})");
  EXPECT_EQ(notif.ignored, 1u);
  auto bad = Parse("thingpark", R"({"DevEUI_uplink": {"DevEUI": "00", "FPort": "x", "payload_hex": "00"}})");
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->field, "DevEUI_uplink.FPort");
}

TEST(LoriotTest, RxDataAndEncdata) {
  const Frame f = One(Parse("loriot", R"({"cmd": "rx", "EUI": "70B3D5E75E001122", "ts": 1741594502481, "ack": false,
    "bat": 254, "fcnt": 412, "port": 3, "data": "0100e6021c", "rssi": -97, "snr": 6.5})"));
  EXPECT_EQ(f.event_time, 1741594502481);
  EXPECT_FALSE(f.encrypted);
  const Frame g = One(Parse("loriot", R"({"cmd": "rx", "EUI": "70B3D5E75E001122", "ts": 1741594502481,
    "port": 3, "encdata": "a1b2c3"})"));
  EXPECT_TRUE(g.encrypted);
  EXPECT_EQ(EncodeHex(g.payload), "a1b2c3");
  EXPECT_EQ(Parse("loriot", R"({"cmd": "gw", "EUI": "00", "gws": []})").ignored, 1u);
}

TEST(KerlinkTest, DataUpWithBufferedTime) {
  const Frame f = One(Parse("kerlink", R"({"id": "65f0aa11b2c3d4e5f6a7b8c9",
    "endDevice": {"devEui": "70B3D5E75E001122", "devAddr": "0E1A2B3C", "cluster": {"id": 12}},
    "fPort": 3, "fCntUp": 412, "encrypted": false, "payload": "0100e6021c", "encodingType": "HEXA",
    "recvTime": 1741594502481, "gwRecvTime": 1741594400000, "dataRate": "SF9BW125", "gwCnt": 1})"));
  EXPECT_EQ(f.event_time, 1741594400000);
  EXPECT_EQ(f.fport, 3);
  EXPECT_EQ(EncodeHex(f.payload), "0100e6021c");
  const Frame g = One(Parse("kerlink", R"({"endDevice": {"devEui": "00"}, "payload": "AQI=", "encodingType": "BASE64",
    "recvTime": 1741594502481, "encrypted": true})"));
  EXPECT_EQ(EncodeHex(g.payload), "0102");
  EXPECT_TRUE(g.encrypted);
}

TEST(MultitechTest, BatchOfUplinksAndLifecyclePaths) {
  auto p = Parse("multitech", R"([
    {"tmst": 3123456789, "time": "2025-03-10T08:15:02.481200Z", "port": 3, "data": "AQDmAhw=",
     "appeui": "16-ea-76-f6-ab-66-3d-80", "deveui": "70-b3-d5-e7-5e-00-11-22", "fcnt": 412, "rssi": -97},
    {"time": "2025-03-10T08:25:02.000000Z", "port": 3, "data": "AQ==", "deveui": "70-b3-d5-e7-5e-00-11-23"}])",
                 {}, {"api", "lorawan", "v1", "16-ea-76-f6-ab-66-3d-80", "up"});
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 2u);
  EXPECT_EQ(p.frames[0].device_id, "70B3D5E75E001122");
  EXPECT_EQ(p.frames[0].event_time, *ParseIso8601("2025-03-10T08:15:02.481Z"));
  EXPECT_EQ(p.frames[1].device_id, "70B3D5E75E001123");
  auto init = Parse("multitech", R"({"gweui": "00-80"})", {}, {"api", "lorawan", "v1", "app", "gw", "init"});
  EXPECT_EQ(init.ignored, 1u);
}

TEST(PlatformTest, AllOrNothingAndNormalisation) {
  auto p = Parse("loriot", R"([{"cmd": "rx", "EUI": "00", "ts": 1741594502481, "data": "00"},
                               {"cmd": "rx", "EUI": "01", "ts": 1741594502481, "data": "0"}])");
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->index, 1u);
  EXPECT_TRUE(p.frames.empty());
  EXPECT_EQ(NormalizeDeviceId("urn:lo:nsid:lora:70b3d5e75e001122"), "70B3D5E75E001122");
  EXPECT_EQ(NormalizeDeviceId("00-80-00-00-00-01-58-34"), "0080000000015834");
  EXPECT_EQ(NormalizeDeviceId("70:B3:D5"), "70B3D5");
  // Regression (fuzz): a huge number must be refused, not cast.
  auto huge = Parse("loriot", R"({"cmd": "rx", "EUI": "00", "ts": 1.00116e19, "data": "00", "port": 1e300})");
  ASSERT_TRUE(huge.error);
  EXPECT_EQ(huge.error->field, "ts");
  auto huge_port = Parse("loriot", R"({"cmd": "rx", "EUI": "00", "ts": 1741594502481, "data": "00", "port": -1e300})");
  ASSERT_TRUE(huge_port.error);
  EXPECT_EQ(huge_port.error->field, "port");
  auto future = Parse("loriot", R"({"cmd": "rx", "EUI": "00", "ts": 4000000000000, "data": "00"})");
  ASSERT_TRUE(future.error);
  EXPECT_NE(future.error->reason.find("max_future_skew"), std::string::npos);
}

}  // namespace
}  // namespace telecollect::push
