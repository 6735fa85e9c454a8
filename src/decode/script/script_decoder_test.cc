#include "decode/script/script_decoder.h"

#include "decode/decode_frame.h"
#include "decode/registry.h"
#include "decode/script/script_factory.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <map>
#include <thread>

namespace telecollect::decode {
namespace {

// A decoder written the way vendors write them (ES5 and ES2015 mixed).
constexpr char kLht65[] = R"js(
function decodeUplink(input) {
  if (input.fPort !== 2) return { errors: ["unknown FPort"] };
  var b = input.bytes;
  const int16 = (hi, lo) => { let v = hi << 8 | lo; return v > 0x7fff ? v - 0x10000 : v; };
  console.log("decoding", b.length, "bytes");
  return { data: {
    BatV: ((b[0] << 8 | b[1]) & 0x3fff) / 1000,
    TempC_SHT: int16(b[2], b[3]) / 100,
    Hum_SHT: (b[4] << 8 | b[5]) / 10,
    Ext: { TempC_DS: int16(b[7], b[8]) / 100, present: b[6] === 1, kind: "Temperature Sensor" },
    nothing: undefined,
    list: [1, 2]
  } };
}
)js";

std::map<std::string, double> Values(const ScriptDecoder& d, const std::string& hex, std::optional<int> port) {
  Bytes b = *DecodeHex(hex);
  auto r = d.Decode({b, port, 1700000000000});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::map<std::string, double> m;
  if (r.ok()) for (auto& v : *r) m[v.field] = v.value;
  return m;
}

TEST(ScriptDecoderTest, RunsAVendorStyleDecodeUplink) {
  ScriptDecoder d(kLht65, "lht65.js", {});
  ASSERT_TRUE(d.Check().ok());
  auto m = Values(d, "cbf60b0d0376010add7fff", 2);
  EXPECT_DOUBLE_EQ(m["BatV"], 3.062);
  EXPECT_DOUBLE_EQ(m["TempC_SHT"], 28.29);
  EXPECT_DOUBLE_EQ(m["Hum_SHT"], 88.6);
  EXPECT_DOUBLE_EQ(m["Ext_TempC_DS"], 27.81);
  EXPECT_EQ(m["Ext_present"], 1);
  EXPECT_EQ(m.count("Ext_kind"), 0u);  // strings are not measurements
  EXPECT_EQ(m.count("nothing"), 0u);
  EXPECT_EQ(m["list_1"], 2);
  Bytes b = *DecodeHex("cbf60b0d0376010add7fff");
  auto raw = d.Run({b, 2, 0});
  ASSERT_TRUE(raw.ok());
  EXPECT_NE(raw->result_json.find("\"nothing\":null"), std::string::npos) << raw->result_json;
  EXPECT_EQ(raw->log, "[\"decoding 11 bytes\"]");
}

TEST(ScriptDecoderTest, ConsoleAndWarningsGoToTheDecodeRecord) {
  ScriptDecoder d(R"js(
function decodeUplink(input) {
  console.log("got", input.bytes.length, "bytes");
  if (input.bytes[0] === 0) { console.warn("zero"); return { errors: ["empty reading"] }; }
  return { data: { v: input.bytes[0] }, warnings: ["battery low"] };
}
)js", "notes.js", {});
  Bytes ok = {7};
  std::string notes;
  auto r = d.Decode({ok, 1, 0, &notes});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(notes, "warnings: battery low; console: got 1 bytes");
  Bytes zero = {0};
  auto f = d.Decode({zero, 1, 0, &notes});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "notes.js: empty reading");
  EXPECT_EQ(notes, "console: got 1 bytes | zero");
  // Without a place for notes (benchmarks, tools), the same values.
  EXPECT_EQ(d.Decode({ok, 1, 0}).value().at(0).value, 7);
}

TEST(ScriptDecoderTest, ScriptErrorsExceptionsAndSyntaxAreReported) {
  ScriptDecoder d(kLht65, "lht65.js", {});
  Bytes b = *DecodeHex("00");
  auto wrong_port = d.Decode({b, 42, 0});
  ASSERT_FALSE(wrong_port.ok());
  EXPECT_NE(wrong_port.status().message().find("unknown FPort"), std::string::npos);
  ScriptDecoder thrower("function decodeUplink(i) { throw new Error('bad frame ' + i.bytes.length); }", "t.js", {});
  auto t = thrower.Decode({b, 1, 0});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("bad frame 1"), std::string::npos) << t.status().message();
  EXPECT_NE(t.status().message().find("t.js:1"), std::string::npos) << t.status().message();
  ScriptDecoder syntax("function decodeUplink(i) {\n  return {data: {a: }};\n}", "s.js", {});
  Status s = syntax.Check();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("s.js:2"), std::string::npos) << s.message();
  ScriptDecoder missing("function decode(i) { return {}; }", "m.js", {});
  EXPECT_NE(missing.Check().message().find("no function decodeUplink"), std::string::npos);
}

TEST(ScriptDecoderTest, ARunawayDecoderIsStoppedAndTheEngineStaysUsable) {
  ScriptDecoder loop("function decodeUplink(i) { if (i.bytes[0] === 1) { while (true) {} } return {data: {v: i.bytes[0]}}; }",
                     "loop.js", {50, 64u << 20});
  Bytes spin = {1}, fine = {7};
  const auto start = std::chrono::steady_clock::now();
  auto r = loop.Decode({spin, 1, 0});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("50 ms limit"), std::string::npos) << r.status().message();
  EXPECT_LT(took, std::chrono::seconds(10));  // stopped by its deadline, not left to spin (generous: a loaded machine)
  auto ok = loop.Decode({fine, 1, 0});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)[0].value, 7);
}

TEST(ScriptDecoderTest, ADecoderAllocatingWithoutBoundIsStoppedAtTheCap) {
  ScriptDecoder hog(
      "function decodeUplink(i) { if (i.bytes[0] === 1) { var a = []; while (true) a.push(new Array(100000).fill(1)); }"
      " return {data: {v: i.bytes[0]}}; }",
      "hog.js", {10000, 64u << 20});
  Bytes one = {1}, seven = {7};
  auto r = hog.Decode({one, 1, 0});
  ASSERT_FALSE(r.ok());
  // The reason names the cap, not the 10 s timeout: the cap stopped it (no wall-clock bound, which a
  // loaded machine breaks).
  EXPECT_NE(r.status().message().find("64 MiB memory limit"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find("ran longer"), std::string::npos) << r.status().message();
  auto next = hog.Decode({seven, 1, 0});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ((*next)[0].value, 7);
}

TEST(ScriptDecoderTest, WorksFromManyThreadsAtOnce) {
  ScriptDecoder d(kLht65, "lht65.js", {});
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Bytes b = *DecodeHex("cbf60b0d0376010add7fff");
      for (int i = 0; i < 200; ++i) {
        auto r = d.Decode({b, 2, 0});
        if (r.ok() && r->size() == 7) ++good;
        else ADD_FAILURE() << (r.ok() ? std::to_string(r->size()) + " values" : r.status().ToString());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 800);
}

// A frame that changes intrinsics (or the global) must not change the next
// frame's values: each frame runs in a new global.
TEST(ScriptDecoderTest, WhatAFrameChangesIsNotSeenByTheNext) {
  const char* poisons[] = {
      "JSON.stringify = function () { return '{\"data\":{\"v\":666}}'; };",
      "Array.prototype.push = function () { return 0; }; Array.prototype.map = function () { return [666]; };",
      "Date = function () { return { getTime: function () { return 666; } }; };",
      "Math.round = function () { return 666; }; Math.max = Math.round;",
      ("Object.prototype.v = 666; Object.defineProperty(Object.prototype, 'data', { get: function () { return {v: 666}; },"
       " set: function () {}, configurable: true });"),
      "globalThis.offset = 666;",
  };
  for (const char* poison : poisons) {
    const std::string src = std::string("var offset = 0;\nfunction decodeUplink(i) {\n  if (i.bytes[0] === 1) {") + poison +
                            "}\n  var parts = []; parts.push(i.bytes[1]);\n"
                            "  return { data: { v: Math.round(parts[0] + offset + new Date(0).getTime()) } };\n}";
    ScriptDecoder d(src, "poison.js", {});
    ASSERT_TRUE(d.Check().ok()) << poison;
    Bytes bad = {1, 5}, good = {2, 7};
    (void)d.Decode({bad, 1, 0});  // whatever it makes of its own frame
    for (int i = 0; i < 3; ++i) {
      auto r = d.Decode({good, 1, 0});
      ASSERT_TRUE(r.ok()) << poison << ": " << r.status().ToString();
      ASSERT_EQ(r->size(), 1u) << poison;
      EXPECT_EQ((*r)[0].field, "v") << poison;
      EXPECT_EQ((*r)[0].value, 7) << poison;
    }
  }
}

// Output is bounded per frame; each cap fails the frame and names itself.
TEST(ScriptDecoderTest, OutputCapsFailTheFrameNamingTheCap) {
  struct Case {
    const char* body;
    const char* expect;
  } cases[] = {
      {"var w = []; for (var k = 0; k < 500; k++) w.push('w' + k); return {data: {v: 1}, warnings: w};",
       "500 warnings, over the cap of 100"},
      {"var e = []; for (var k = 0; k < 300; k++) e.push('e'); return {data: {}, errors: e};", "300 errors, over the cap of 100"},
      {"for (var k = 0; k < 1000; k++) console.log('line', k); return {data: {v: 1}};", "console output over the cap"},
      {"console.log('x'.repeat(100000)); return {data: {v: 1}};", "console output over the cap"},
      {"var d = {}; for (var k = 0; k < 5000; k++) d['m' + k] = k; return {data: d};", "5000 measurements, over the cap of 1000"},
      {"return {data: {v: 1}, warnings: ['x'.repeat(5 << 20)]};", "over the cap of 65536 bytes"},
  };
  for (const auto& c : cases) {
    ScriptDecoder d(std::string("function decodeUplink(i) {") + c.body + "}", "caps.js", {});
    Bytes b = {1};
    std::string notes;
    auto r = d.Decode({b, 1, 0, &notes});
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
  }
}

TEST(ScriptSpecTest, AScriptDeviceTypeLoadsFromItsSpecAndPassesItsVectors) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("tc_script_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "lht.js") << kLht65;
  std::ofstream(dir / "lht.toml") << "devicetype = 'js-lht65'\nkind = 'script'\nscript = 'lht.js'\n"
                                     "[[test]]\nfport = 2\npayload = 'cbf60b0d0376010add7fff'\n"
                                     "expect = { BatV = 3.062, TempC_SHT = 28.29, Hum_SHT = 88.6, Ext_TempC_DS = 27.81,"
                                     " Ext_present = 1, list_0 = 1, list_1 = 2 }\n"
                                     "[[test]]\nfport = 3\npayload = '00'\nexpect_error = 'unknown FPort'\n";
  std::ofstream(dir / "broken.js") << "function decodeUplink(i) { return {data: {a: }}; }";
  std::ofstream(dir / "broken.toml") << "devicetype = 'broken'\nkind = 'script'\nscript = 'broken.js'\n";
  DecoderRegistry with_scripts(MakeScriptFactory({}));
  LoadReport report = with_scripts.LoadDirectories({dir.string()});
  ASSERT_NE(with_scripts.Find("js-lht65"), nullptr);
  EXPECT_STREQ(with_scripts.Find("js-lht65")->decoder->kind(), "script");
  ASSERT_EQ(report.rejected.size(), 1u);
  EXPECT_NE(report.rejected[0].second.find("broken.js:1"), std::string::npos) << report.rejected[0].second;
  DecoderRegistry without;
  LoadReport none = without.LoadDirectories({dir.string()});
  EXPECT_EQ(without.Find("js-lht65"), nullptr);
  EXPECT_NE(none.rejected[0].second.find("not available"), std::string::npos);
  fs::remove_all(dir);
}


// Written for issue 22 as Decentlab writes its decoders: {displayName, unit, value} objects, a
// device id and a protocol version beside them.
constexpr char kValueUnitScript[] = R"js(
function decodeUplink(input) {
  var b = input.bytes;
  return { data: {
    device_id: (b[0] << 8) | b[1],
    protocol_version: 2,
    air_temperature: { displayName: 'Air temperature', unit: '°C', value: ((b[2] << 8) | b[3]) / 100 },
    co2_concentration: { displayName: 'CO2 concentration', unit: 'ppm', value: (b[4] << 8) | b[5] },
    battery_voltage: { value: b[6] / 10, unit: 'V' }
  } };
}
)js";

// Written for issue 22 as the Milesight EM300-TH decoder of the TTN device repository: channel
// records, and a normalizeUplink that names them in the vocabulary.
constexpr char kNormalizingScript[] = R"js(
function decodeUplink(input) {
  var b = input.bytes, d = {};
  for (var i = 0; i < b.length;) {
    var ch = b[i++], type = b[i++];
    if (ch === 0x01 && type === 0x75) { d.battery = b[i]; i += 1; }
    else if (ch === 0x03 && type === 0x67) { var t = b[i] | (b[i + 1] << 8); d.temperature = (t > 0x7fff ? t - 0x10000 : t) / 10; i += 2; }
    else if (ch === 0x04 && type === 0x68) { d.humidity = b[i] / 2; i += 1; }
    else return { errors: ['unknown channel ' + ch] };
  }
  return { data: d };
}
function normalizeUplink(input) {
  var data = { air: { temperature: input.data.temperature, relativeHumidity: input.data.humidity } };
  input.data.temperature = 1000;  // a copy: what is stored of the raw names is not changed
  return { data: data, warnings: ['battery is a percentage, not volts: left out'] };
}
)js";

std::map<std::string, Measurement> Stored(const DecoderRegistry& registry, const std::string& type,
                                          const std::string& hex, std::string* reason = nullptr) {
  Frame f;
  f.device_id = "dev1";
  f.device_type = type;
  f.event_time = 1700000000000;
  f.payload = *DecodeHex(hex);
  f.fport = 85;
  FrameDecoding d = DecodeFrame(registry, Scope{"acme", Env::kPreprod}, f);
  EXPECT_EQ(d.status, DecodeStatus::kDecoded) << d.reason;
  if (reason) *reason = d.reason;
  std::map<std::string, Measurement> m;
  for (auto& x : d.measurements) m[x.module] = x;
  return m;
}

Result<DeviceType> ScriptType(const std::string& spec, const std::string& script) {
  return LoadDeclarativeSpec(spec, "spec.toml", MakeScriptFactory({}), &script);
}

TEST(ScriptMeasurementsTest, ValueUnitObjectsBecomeOneMeasurementWithTheScriptsUnit) {
  auto type = ScriptType("devicetype = 'decentlab-iam'\nkind = 'script'\nscript = 'iam.js'\n"
                         "[[test]]\npayload = '1267087802640f'\n"
                         "expect = { air_temperature = 21.68, co2_concentration = 612, battery_voltage = 1.5 }\n",
                         kValueUnitScript);
  ASSERT_TRUE(type.ok()) << type.status().ToString();
  ASSERT_TRUE(RunTestVectors(*type).ok()) << RunTestVectors(*type).ToString();  // ids need not be listed
  DecoderRegistry registry(MakeScriptFactory({}));
  ASSERT_TRUE(registry.Activate(*type).ok());
  auto m = Stored(registry, "decentlab-iam", "1267087802640f");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m["dev1.air_temperature"].unit, "°C");
  EXPECT_DOUBLE_EQ(m["dev1.air_temperature"].value, 21.68);
  EXPECT_EQ(m["dev1.co2_concentration"].unit, "ppm");
  EXPECT_EQ(m["dev1.battery_voltage"].unit, "V");
  EXPECT_EQ(m.count("dev1.device_id"), 0u);
  EXPECT_EQ(m.count("dev1.protocol_version"), 0u);

  // Asked for: the identifiers are stored too.
  auto keep = ScriptType("devicetype = 'decentlab-iam-ids'\nkind = 'script'\nscript = 'iam.js'\nkeep_identifiers = true\n",
                         kValueUnitScript);
  ASSERT_TRUE(keep.ok()) << keep.status().ToString();
  ASSERT_TRUE(registry.Activate(*keep).ok());
  auto all = Stored(registry, "decentlab-iam-ids", "1267087802640f");
  EXPECT_EQ(all.size(), 5u);
  EXPECT_EQ(all["dev1.device_id"].value, 0x1267);
}

TEST(ScriptMeasurementsTest, NormalizeUplinkMeasurementsAreStoredBesideTheRawNames) {
  auto type = ScriptType("devicetype = 'em300-th-js'\nkind = 'script'\nscript = 'em300.js'\n", kNormalizingScript);
  ASSERT_TRUE(type.ok()) << type.status().ToString();
  DecoderRegistry registry(MakeScriptFactory({}));
  ASSERT_TRUE(registry.Activate(*type).ok());
  std::string reason;
  auto m = Stored(registry, "em300-th-js", "017564036710010468a0", &reason);
  EXPECT_DOUBLE_EQ(m["dev1.air.temperature"].value, 27.2);
  EXPECT_EQ(m["dev1.air.temperature"].unit, "°C");
  EXPECT_DOUBLE_EQ(m["dev1.air.relativeHumidity"].value, 80);
  EXPECT_EQ(m["dev1.air.relativeHumidity"].unit, "%");
  EXPECT_DOUBLE_EQ(m["dev1.temperature"].value, 27.2);  // raw names kept
  EXPECT_EQ(m["dev1.battery"].value, 100);
  EXPECT_EQ(m.size(), 5u);
  EXPECT_NE(reason.find("normalizeUplink warnings: battery is a percentage"), std::string::npos) << reason;

  // A normalizer that throws fails only the normalized measurements.
  auto broken = ScriptType("devicetype = 'em300-broken'\nkind = 'script'\nscript = 'em300.js'\n",
                           std::string(kNormalizingScript) + "normalizeUplink = function () { throw new Error('boom'); };");
  ASSERT_TRUE(broken.ok());
  ASSERT_TRUE(registry.Activate(*broken).ok());
  auto raw = Stored(registry, "em300-broken", "017564036710010468a0", &reason);
  EXPECT_EQ(raw.size(), 3u);
  EXPECT_NE(reason.find("normalizeUplink failed: normalizeUplink: Error: boom"), std::string::npos) << reason;
}

}  // namespace
}  // namespace telecollect::decode
