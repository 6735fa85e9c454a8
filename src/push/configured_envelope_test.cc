// Envelopes as configuration: paths, encodings, time formats, frame arrays,
// errors with their place, refused files.
#include "push/configured_envelope.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/hex.h"
#include "core/time_util.h"

namespace telecollect::push {
namespace {

constexpr EpochMs kNow = 1750000000000;  // 2025-06-15

std::shared_ptr<const Envelope> Load(const std::string& toml) {
  auto e = LoadEnvelopeSpec(toml, "test.toml");
  EXPECT_TRUE(e.ok()) << e.status().message();
  return e.ok() ? *e : nullptr;
}

std::string LoadError(const std::string& toml) {
  auto e = LoadEnvelopeSpec(toml, "test.toml");
  EXPECT_FALSE(e.ok());
  return e.ok() ? "" : e.status().message();
}

ParsedFrames Parse(const Envelope& env, std::string_view body, std::string_view content_type = "application/json") {
  PushRequest req{body, content_type, kNow, 100, 86400000, {}, {}};
  return env.Parse(req);
}

TEST(JsonPathTest, KeysAndIndices) {
  auto p = JsonPath::Parse("a.gws[1][0].rssi");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->steps.size(), 5u);
  EXPECT_EQ(p->steps[1].key, "gws");
  EXPECT_EQ(p->steps[2].index, 1u);
  EXPECT_EQ(p->steps[3].index, 0u);
  EXPECT_EQ(p->steps[4].key, "rssi");
  EXPECT_TRUE(JsonPath::Parse("$.gateway.id")->from_body);
  for (const char* bad : {"", "a..b", "a[", "a[]", "a[x]", "a.", "a[0]b"}) EXPECT_FALSE(JsonPath::Parse(bad).ok()) << bad;
}

TEST(ConfiguredEnvelopeTest, HexIsoMetadataDeviceTypeMap) {
  auto env = Load(R"(
name = "acme"
device_id = "dev.eui"
time = "ts"
payload = "raw"
fport = "radio.port"
device_type_path = "model"
device_type_map = { "TH1" = "browan-tbhh100" }
metadata = ["radio.rssi", "gws[0].id"]
)");
  ASSERT_TRUE(env);
  auto p = Parse(*env, R"({"dev": {"eui": "70-b3-d5-e7-5e-00-11-22"}, "ts": "2025-03-10T08:15:02.481Z", "raw": "0100E6",
    "radio": {"port": "3", "rssi": -97}, "model": "TH1", "gws": [{"id": "gw1"}]})");
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 1u);
  const Frame& f = p.frames[0];
  EXPECT_EQ(f.source, "acme");
  EXPECT_EQ(f.device_id, "70B3D5E75E001122");
  EXPECT_EQ(f.event_time, *ParseIso8601("2025-03-10T08:15:02.481Z"));
  EXPECT_EQ(EncodeHex(f.payload), "0100e6");
  EXPECT_EQ(f.fport, 3);
  EXPECT_EQ(f.device_type, "browan-tbhh100");
  EXPECT_EQ(f.metadata_json, R"({"radio.rssi":-97,"gws[0].id":"gw1"})");
}

TEST(ConfiguredEnvelopeTest, Base64EpochAndConstantType) {
  auto env = Load("name = \"b\"\ndevice_id = \"id\"\ntime = \"t\"\ntime_format = \"epoch_s\"\npayload = \"d\"\n"
                  "payload_encoding = \"base64\"\ndevice_type = \"dragino-lht65\"\nnormalize_device_id = false\n");
  auto p = Parse(*env, R"({"id": "ab-1", "t": 1741594502, "d": "AQDmAhw="})");
  ASSERT_FALSE(p.error) << p.error->ToString();
  EXPECT_EQ(p.frames[0].device_id, "ab-1");
  EXPECT_EQ(p.frames[0].event_time, 1741594502000);
  EXPECT_EQ(EncodeHex(p.frames[0].payload), "0100e6021c");
  EXPECT_EQ(p.frames[0].device_type, "dragino-lht65");
  EXPECT_FALSE(p.frames[0].fport);
}

TEST(ConfiguredEnvelopeTest, PatternInZoneAndReceivedTimeWhenAbsent) {
  auto env = Load("name = \"p\"\ndevice_id = \"id\"\ntime = \"when\"\ntime_format = \"%d/%m/%Y %H:%M:%S\"\n"
                  "time_zone = \"Europe/Paris\"\npayload = \"d\"\n");
  auto p = Parse(*env, "{\"id\": \"1\", \"when\": \"10/03/2025 09:15:02\", \"d\": \"01\"}\n{\"id\": \"2\", \"d\": \"02\"}");
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 2u);
  EXPECT_EQ(p.frames[0].event_time, *ParseIso8601("2025-03-10T08:15:02Z"));
  EXPECT_EQ(p.frames[1].event_time, kNow);
}

TEST(ConfiguredEnvelopeTest, JsonValuesPayload) {
  auto env = Load("name = \"j\"\ndevice_id = \"id\"\npayload = \"values\"\npayload_encoding = \"json\"\n");
  auto p = Parse(*env, R"({"id": "s1", "values": {"temperature": 21.5, "humidity": 40}})");
  ASSERT_FALSE(p.error) << p.error->ToString();
  EXPECT_EQ(std::string(p.frames[0].payload.begin(), p.frames[0].payload.end()), R"({"temperature":21.5,"humidity":40})");
  EXPECT_EQ(p.frames[0].device_type, "json-values");
  auto bad = Parse(*env, R"({"id": "s1", "values": "21.5"})");
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->field, "values");
}

TEST(ConfiguredEnvelopeTest, FramesArrayWithBodyFieldsAndErrorPlace) {
  auto env = Load(R"(
name = "gw"
frames = "rxpk"
device_id = "$.gateway"
time = "tmst"
time_format = "epoch_ms"
payload = "data"
uplink_path = "stat"
uplink_values = ["1"]
)");
  auto p = Parse(*env, R"({"gateway": "aa:bb", "rxpk": [{"tmst": 1741594502481, "data": "01", "stat": 1},
                                                       {"tmst": 1741594503481, "data": "02", "stat": -1},
                                                       {"tmst": 1741594504481, "data": "03", "stat": 1}]})");
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 2u);
  EXPECT_EQ(p.ignored, 1u);
  EXPECT_EQ(p.frames[0].device_id, "AABB");
  EXPECT_EQ(EncodeHex(p.frames[1].payload), "03");
  // The second body item's third frame has a bad payload: its place is given, nothing is kept.
  auto bad = Parse(*env, "[{\"gateway\": \"g\", \"rxpk\": []},"
                         " {\"gateway\": \"g\", \"rxpk\": [{\"data\": \"01\", \"stat\": 1}, {\"data\": \"02\", \"stat\": 1},"
                         " {\"data\": \"0\", \"stat\": 1}]}]");
  ASSERT_TRUE(bad.error);
  EXPECT_TRUE(bad.frames.empty());
  EXPECT_EQ(bad.error->index, 1u);
  EXPECT_EQ(bad.error->field, "rxpk[2].data");
  EXPECT_NE(bad.error->reason.find("odd"), std::string::npos) << bad.error->reason;
  auto missing = Parse(*env, R"({"gateway": "g"})");
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->field, "rxpk");
  auto too_many = Parse(*env, "{\"gateway\": \"g\", \"rxpk\": [" + [] {
    std::string s;
    for (int i = 0; i < 101; ++i) s += std::string(i ? "," : "") + "{\"data\": \"01\", \"stat\": 1}";
    return s;
  }() + "]}");
  ASSERT_TRUE(too_many.error);
  EXPECT_TRUE(too_many.error->too_many_items);
}

TEST(ConfiguredEnvelopeTest, FieldErrors) {
  auto env = Load("name = \"e\"\ndevice_id = \"id\"\ntime = \"t\"\npayload = \"d\"\nfport = \"port\"\n");
  struct Case {
    const char* body;
    const char* field;
    const char* reason;
  } cases[] = {
      {R"({"d": "01"})", "id", "is missing"},
      {R"({"id": [1], "d": "01"})", "id", "must be a string"},
      {R"({"id": "x", "t": "yesterday", "d": "01"})", "t", "is not a iso8601 time"},
      {R"({"id": "x", "t": true, "d": "01"})", "t", "must be a time"},
      {R"({"id": "x"})", "d", "is missing"},
      {R"({"id": "x", "d": "zz"})", "d", "hex"},
      {R"({"id": "x", "d": "01", "port": 256})", "port", "integer from 0 to 255"},
  };
  for (const Case& c : cases) {
    auto p = Parse(*env, c.body);
    ASSERT_TRUE(p.error) << c.body;
    EXPECT_EQ(p.error->index, 0u);
    EXPECT_EQ(p.error->field, c.field) << c.body;
    EXPECT_NE(p.error->reason.find(c.reason), std::string::npos) << c.body << " → " << p.error->reason;
  }
  auto future = Parse(*env, R"({"id": "x", "t": "2030-01-01T00:00:00Z", "d": "01"})");
  ASSERT_TRUE(future.error);
  EXPECT_NE(future.error->reason.find("max_future_skew"), std::string::npos);
}

TEST(ConfiguredEnvelopeTest, RefusedFilesSayLineAndKey) {
  EXPECT_EQ(LoadError("name = \"x\"\ndevice_id = \"id\"\npayload = \"d\"\npayload_encodng = \"hex\"\n"),
            "test.toml: line 4: unknown key payload_encodng");
  EXPECT_EQ(LoadError("name = \"x\"\ndevice_id = \"id\"\npayload = \"d\"\npayload_encoding = \"b64\"\n"),
            "test.toml: line 4: payload_encoding: must be hex, base64 or json");
  EXPECT_EQ(LoadError("name = \"x\"\ndevice_id = \"a..b\"\npayload = \"d\"\n").substr(0, 31), "test.toml: line 2: device_id: e");
  EXPECT_EQ(LoadError("name = \"x\"\npayload = \"d\"\n"), "test.toml: device_id is required");
  EXPECT_EQ(LoadError("name = \"ttn\"\ndevice_id = \"id\"\npayload = \"d\"\n"),
            "test.toml: line 1: name: \"ttn\" is a built-in envelope; choose another name");
  EXPECT_NE(LoadError("name = \"x\"\ndevice_id = \"id\"\npayload = \"d\"\ntime_zone = \"Mars/Base\"\n").find("line 4: time_zone"),
            std::string::npos);
  EXPECT_NE(LoadError("name = \"x\"\ndevice_id = \"$.id\"\npayload = \"d\"\n").find("needs frames"), std::string::npos);
  EXPECT_NE(LoadError("name = \"x\"\ndevice_id = \"id\"\npayload = \"d\"\nuplink_path = \"cmd\"\n").find("together"),
            std::string::npos);
  EXPECT_NE(LoadError("name = \"x\"\ndevice_id = \"id\n").find("test.toml: line 2"), std::string::npos);
}

TEST(ConfiguredEnvelopeTest, DirectoriesRegisterByNameLaterWins) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("tc_envelopes_" + std::to_string(::getpid()));
  fs::create_directories(root / "a" / "envelopes");
  fs::create_directories(root / "b" / "envelopes");
  auto write = [](const fs::path& p, const std::string& text) { std::ofstream(p) << text; };
  write(root / "a" / "envelopes" / "acme.toml", "name = \"acme\"\ndevice_id = \"id\"\npayload = \"d\"\n");
  write(root / "b" / "envelopes" / "acme.toml", "name = \"acme\"\ndevice_id = \"dev\"\npayload = \"d\"\n");
  write(root / "b" / "envelopes" / "bad.toml", "name = \"bad\"\ndevice_id = \"id\"\npayload = \"d\"\nextra = 1\n");
  auto report = ReloadConfiguredEnvelopes({(root / "a").string(), (root / "b").string()});
  ASSERT_EQ(report.active.size(), 1u);
  ASSERT_EQ(report.rejected.size(), 1u);
  EXPECT_EQ(report.rejected[0].second, "envelopes/bad.toml: line 4: unknown key extra");
  auto env = FindEnvelope("ACME");
  ASSERT_TRUE(env);
  auto p = Parse(*env, R"({"dev": "d1", "d": "01"})");  // b's file: device_id = "dev"
  ASSERT_FALSE(p.error) << p.error->ToString();
  EXPECT_EQ(p.frames[0].device_id, "D1");
  EXPECT_TRUE(FindEnvelope("ttn"));
  ReloadConfiguredEnvelopes({});
  EXPECT_FALSE(FindEnvelope("acme"));
  EXPECT_EQ(Parse(*env, R"({"dev": "d1", "d": "01"})").frames.size(), 1u);  // still usable after the reload
  fs::remove_all(root);
}

std::string ReadSource(const std::string& relative) {
  const char* root = std::getenv("TELECOLLECT_SOURCE_DIR");
  std::ifstream in(std::string(root ? root : ".") + "/" + relative, std::ios::binary);
  EXPECT_TRUE(in) << relative;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The four platform pages' envelopes on their sample bodies (docs/platforms/).
TEST(PlatformExamplesTest, TheFourNamedPlatforms) {
  struct Expect {
    const char* name;
    size_t frames, ignored;
    const char* device_id;
    const char* time;
    const char* payload_hex;
    const char* device_type;
  } cases[] = {
      {"technilog", 2, 0, "cpt-gaz-01", "2025-03-10T08:15:00.000Z", "7b22696e6465785f6d33223a31383233342e352c2264656269745f6d3368223a31322e317d",
       "json-values"},
      {"synox", 1, 1, "A840410000001122", "2025-03-10T08:15:02.481Z", "cbf60b0d037601070d7fff", "dragino-lht65"},
      {"picogw", 1, 1, "AA555A0000000101", "2025-03-10T08:15:02.481Z", "400101000000010001f0ce6d6f666365", ""},
      {"gigaconcept", 2, 0, "0591A2B3", "2025-03-10T08:15:02.000Z", "0460000000c8", "gigaconcept-d2-01-08"},
  };
  for (const Expect& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string base = std::string("docs/examples/envelopes/") + c.name;
    auto env = LoadEnvelopeSpec(ReadSource(base + ".toml"), base + ".toml");
    ASSERT_TRUE(env.ok()) << env.status().message();
    const std::string body = ReadSource(base + ".sample.json");
    auto p = Parse(**env, body);
    ASSERT_FALSE(p.error) << p.error->ToString();
    ASSERT_EQ(p.frames.size(), c.frames);
    EXPECT_EQ(p.ignored, c.ignored);
    EXPECT_EQ(p.frames[0].source, c.name);
    EXPECT_EQ(p.frames[0].device_id, c.device_id);
    EXPECT_EQ(FormatIso8601(p.frames[0].event_time), c.time);
    EXPECT_EQ(EncodeHex(p.frames[0].payload), c.payload_hex);
    EXPECT_EQ(p.frames[0].device_type, c.device_type);
  }
}

// The non-JSON samples: Sigfox's default form-encoded callback, ThingPark's XML content type.
TEST(PlatformExamplesTest, FormAndXmlSamples) {
  auto sigfox = LoadEnvelopeSpec(ReadSource("docs/examples/envelopes/sigfox-form.toml"), "sigfox-form.toml");
  ASSERT_TRUE(sigfox.ok()) << sigfox.status().message();
  auto p = Parse(**sigfox, ReadSource("docs/examples/envelopes/sigfox-form.sample.form"),
                 "application/x-www-form-urlencoded");
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 1u);
  EXPECT_EQ(p.frames[0].device_id, "2C4F1A");
  EXPECT_EQ(FormatIso8601(p.frames[0].event_time), "2025-03-10T08:15:02.000Z");
  EXPECT_EQ(EncodeHex(p.frames[0].payload), "cbf60b0d037601070d7fff");
  EXPECT_EQ(p.frames[0].metadata_json,
            R"({"seqNumber":"1387","station":"7A1F","rssi":"-118.50","snr":"14.20","avgSnr":"21.70","duplicate":"false"})");

  auto thingpark = LoadEnvelopeSpec(ReadSource("docs/examples/envelopes/thingpark-xml.toml"), "thingpark-xml.toml");
  ASSERT_TRUE(thingpark.ok()) << thingpark.status().message();
  const std::string xml = ReadSource("docs/examples/envelopes/thingpark-xml.sample.xml");
  p = Parse(**thingpark, xml, "application/xml");
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 1u);
  EXPECT_EQ(p.frames[0].device_id, "70B3D5E75E001122");
  EXPECT_EQ(FormatIso8601(p.frames[0].event_time), "2025-03-10T08:25:02.481Z");
  EXPECT_EQ(EncodeHex(p.frames[0].payload), "72236f5a000000");
  EXPECT_EQ(p.frames[0].fport, std::optional<int>(3));
  EXPECT_EQ(p.frames[0].device_type, "NEXELEC/CARBON");
  // Lrrs.Lrr[0]: one <Lrr> is not an array, yet the first of its kind.
  EXPECT_EQ(p.frames[0].metadata_json,
            R"({"DevEUI_uplink.FCntUp":"413","DevEUI_uplink.LrrRSSI":"-97.000000","DevEUI_uplink.LrrSNR":"6.500000",)"
            R"("DevEUI_uplink.Lrrs.Lrr[0].Lrrid":"1000ABCD"})");
  // Another MType (a downlink confirmation): ignored.
  std::string other = xml;
  other.replace(other.find("<MType>2"), 8, "<MType>6");
  p = Parse(**thingpark, other, "text/xml; charset=utf-8");
  ASSERT_FALSE(p.error) << p.error->ToString();
  EXPECT_EQ(p.frames.size(), 0u);
  EXPECT_EQ(p.ignored, 1u);
  // A bad field names its path in the document.
  other = xml;
  other.replace(other.find("72236f"), 6, "7z236f");
  p = Parse(**thingpark, other, "application/xml");
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->field, "DevEUI_uplink.payload_hex");
}

TEST(ConfiguredEnvelopeTest, BodyFormatsAndTheirMediaTypes) {
  auto json = Load("name = 'j'\ndevice_id = 'id'\npayload = 'p'\n");
  auto form = Load("name = 'f'\nbody = 'form'\ndevice_id = 'id'\npayload = 'p'\n");
  auto xml = Load("name = 'x'\nbody = 'xml'\nframes = 'batch.frame'\ndevice_id = 'id'\npayload = 'p'\n");
  ASSERT_TRUE(json && form && xml);
  EXPECT_TRUE(json->Accepts("application/json"));
  EXPECT_FALSE(json->Accepts("application/x-www-form-urlencoded"));
  EXPECT_TRUE(form->Accepts("application/x-www-form-urlencoded; charset=UTF-8"));
  EXPECT_TRUE(form->Accepts(""));
  EXPECT_FALSE(form->Accepts("application/json"));
  EXPECT_TRUE(xml->Accepts("application/xml"));
  EXPECT_TRUE(xml->Accepts("Text/XML"));
  EXPECT_TRUE(xml->Accepts("application/soap+xml"));
  EXPECT_FALSE(xml->Accepts("application/json"));
  EXPECT_EQ(form->MediaTypes(), "application/x-www-form-urlencoded");

  auto p = Parse(*form, "id=a1&p=0102", "application/x-www-form-urlencoded");
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 1u);
  EXPECT_EQ(p.frames[0].device_id, "A1");
  p = Parse(*form, "id=a1&p=01%2", "application/x-www-form-urlencoded");
  ASSERT_TRUE(p.error);
  EXPECT_FALSE(p.error->index);
  EXPECT_NE(p.error->reason.find("form field 2 (\"p\"): bad %-escape"), std::string::npos) << p.error->reason;
  p = Parse(*form, "id=a1&p=zz", "application/x-www-form-urlencoded");
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->field, "p");

  // Frames repeated, or given once.
  p = Parse(*xml, "<batch><frame><id>a1</id><p>01</p></frame><frame><id>a2</id><p>02</p></frame></batch>", "");
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 2u);
  EXPECT_EQ(p.frames[1].device_id, "A2");
  p = Parse(*xml, "<batch><frame><id>a1</id><p>01</p></frame></batch>", "");
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 1u);
  p = Parse(*xml, "<batch><frame><id>a1</id><p>01</p></frame><frame><id>a2</id><p>0</p></frame></batch>", "");
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->field, "batch.frame[1].p");
  p = Parse(*xml, "<batch><frame>", "");
  ASSERT_TRUE(p.error);
  EXPECT_NE(p.error->reason.find("body is not valid XML"), std::string::npos) << p.error->reason;
  EXPECT_NE(LoadError("name = 'b'\nbody = 'yaml'\ndevice_id = 'id'\npayload = 'p'\n")
                .find("test.toml: line 2: body: must be json, form or xml"),
            std::string::npos);
}

// Built-in platforms expressed as configuration give the same frames as their
// C++ parsers (which stay: they handle cases a path cannot, such as Loriot's
// encdata or Kerlink's per-message encoding).
TEST(PlatformExamplesTest, LoriotAndKerlinkAsConfiguration) {
  auto loriot = Load(R"(
name = "loriot-config"
device_id = "EUI"
time = "ts"
time_format = "epoch_ms"
payload = "data"
fport = "port"
metadata = ["fcnt", "rssi", "snr", "dr", "freq", "bat", "ack"]
uplink_path = "cmd"
uplink_values = ["rx"]
)");
  auto kerlink = Load(R"(
name = "kerlink-config"
device_id = "endDevice.devEui"
time = "recvTime"
time_format = "epoch_ms"
payload = "payload"
fport = "fPort"
metadata = ["id", "fCntUp", "dataRate", "gwCnt", "gwInfo", "ulFrequency"]
)");
  struct Case {
    const char* builtin;
    const Envelope* configured;
    const char* body;
  } cases[] = {
      {"loriot", loriot.get(),
       R"([{"cmd": "rx", "EUI": "70B3D5E75E001122", "ts": 1741594502481, "fcnt": 412, "port": 3, "data": "0100e6021c",
            "rssi": -97, "snr": 6.5}, {"cmd": "gw", "EUI": "70B3D5E75E001122"}])"},
      {"kerlink", kerlink.get(),
       R"({"id": "5f1c", "endDevice": {"devEui": "70b3d5e75e001122"}, "fPort": 3, "fCntUp": 412, "recvTime": 1741594502481,
           "payload": "0100e6021c", "encodingType": "HEXA", "gwCnt": 1, "gwInfo": [{"gwEui": "7276ff000b031f2e", "rssi": -97}]})"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.builtin);
    ASSERT_TRUE(c.configured);
    auto a = Parse(*FindEnvelope(c.builtin), c.body);
    auto b = Parse(*c.configured, c.body);
    ASSERT_FALSE(a.error) << a.error->ToString();
    ASSERT_FALSE(b.error) << b.error->ToString();
    EXPECT_EQ(a.ignored, b.ignored);
    ASSERT_EQ(a.frames.size(), b.frames.size());
    for (size_t i = 0; i < a.frames.size(); ++i) {
      EXPECT_EQ(a.frames[i].device_id, b.frames[i].device_id);
      EXPECT_EQ(a.frames[i].event_time, b.frames[i].event_time);
      EXPECT_EQ(a.frames[i].payload, b.frames[i].payload);
      EXPECT_EQ(a.frames[i].fport, b.frames[i].fport);
      EXPECT_EQ(a.frames[i].device_type, b.frames[i].device_type);
      EXPECT_EQ(a.frames[i].metadata_json, b.frames[i].metadata_json);
    }
  }
}

}  // namespace
}  // namespace telecollect::push
