#include "decode/native/native_types.h"

#include "decode/native/adeunis.h"
#include "decode/native/dragino_lht65.h"
#include "decode/native/elsys.h"
#include "decode/native/json_values.h"
#include "decode/native/milesight.h"
#include "decode/native/netvox.h"
#include "decode/native/nexelec.h"
#include "decode/native/watteco.h"

namespace telecollect::decode {
namespace {

using Values = std::map<std::string, double>;

// A sample payload and the exact values it must decode to.
TestVector Expect(int fport, const char* hex, Values values) {
  TestVector tv;
  tv.fport = fport;
  tv.payload = *DecodeHex(hex);
  tv.expect = std::move(values);
  return tv;
}
// A sample payload the decoder must refuse, with this text in the reason.
TestVector Refuse(int fport, const char* hex, const char* error) {
  TestVector tv;
  tv.fport = fport;
  tv.payload = *DecodeHex(hex);
  tv.expect_error = error;
  return tv;
}

void Add(std::vector<DeviceType>& out, std::string name, std::string description, std::vector<std::string> aliases,
         std::shared_ptr<const Decoder> decoder, std::vector<TestVector> tests) {
  DeviceType t;
  t.origin = "native:" + name;
  t.name = std::move(name);
  t.description = std::move(description) + " (native)";
  t.aliases = std::move(aliases);
  t.decoder = std::move(decoder);
  t.tests = std::move(tests);
  out.push_back(std::move(t));
}

// Adeunis's own examples (the test files of its codec library), with what
// that library decodes from them. Aliases: Adeunis's codec type names.
void AddAdeunis(std::vector<DeviceType>& out) {
  using M = AdeunisDecoder::Model;
  struct Product {
    const char* name;
    const char* product;
    M model;
    std::vector<std::string> aliases;
    std::vector<TestVector> tests;
  };
  const Product products[] = {
      {"adeunis-comfort", "Comfort, firmware before 2.1 (8275AA/CA)", M::kComfort, {},
       {Expect(1, "4c2000c51f00c72000c82100ca2200cc2300cd24", {{"temperature", 19.7}, {"humidity", 31}, {"low_battery", 0}})}},
      {"adeunis-comfort2", "Comfort, firmware 2.1 and later (8275AA/CA)", M::kComfort2, {},
       {Expect(1, "4c9600c51f00c72000c82100ca2200cc2300cd2414ABA3E9", {{"temperature", 19.7}, {"humidity", 31}, {"low_battery", 1}}),
        Refuse(1, "4c2000c51f00", "are not whole 3-byte samples")}},
      {"adeunis-comfort-co2", "Comfort CO2 (8373AA/CA)", M::kComfortCo2, {"adeunis-comfortco2"},
       {Expect(1, "6a8401B33E01A401B43F01A614ABA3E9", {{"temperature", 43.5}, {"humidity", 62}, {"co2", 420}, {"low_battery", 0}})}},
      {"adeunis-temp", "Temp, firmware 1.x (8180AA)", M::kTemp, {},
       {Expect(1, "43401100f4200000", {{"temperature_1", 24.4}, {"low_battery", 0}})}},
      {"adeunis-temp3", "Temp 3", M::kTemp3, {},
       {Expect(1, "571001B301B2", {{"temperature_1", 43.5}, {"temperature_2", 43.4}, {"low_battery", 0}})}},
      {"adeunis-temp4", "Temp 4", M::kTemp4, {},
       {Expect(1, "570401B3800001B201B114ABA3E9", {{"temperature_1", 43.5}, {"low_battery", 0}})}},
      {"adeunis-pulse", "Pulse, firmware 2.x", M::kPulse, {},
       {Expect(1, "46800000009f00000002", {{"index_a", 159}, {"index_b", 2}, {"low_battery", 0}})}},
      {"adeunis-pulse3", "Pulse 3", M::kPulse3, {},
       {Expect(1, "5a20000001270001000200030004", {{"index_a", 295}, {"low_battery", 0}})}},
      {"adeunis-pulse4", "Pulse 4", M::kPulse4, {},
       {Expect(1, "5b8400000127000100020003000414ABA3E9", {{"index_b", 295}, {"low_battery", 0}})}},
  };
  for (const Product& p : products) {
    Add(out, p.name, std::string("Adeunis ") + p.product, p.aliases, std::make_shared<AdeunisDecoder>(p.model), p.tests);
  }
}

std::vector<std::string> NetvoxAliases() {
  std::vector<std::string> aliases;
  for (int b = 0; b < 256; ++b) {
    const std::string_view model = NetvoxDecoder::ModelName(static_cast<uint8_t>(b));
    if (model.empty()) continue;
    std::string alias = "netvox-" + NormalizeDeviceType(model);
    if (alias != "netvox-r718a") aliases.push_back(std::move(alias));  // decoders/netvox-r718a.toml
  }
  return aliases;
}

}  // namespace

std::vector<DeviceType> NativeDeviceTypes() {
  std::vector<DeviceType> out;
  // Elsys' published examples.
  Add(out, "elsys", "Elsys ERS, ERS CO2, ERS Lite, ERS Sound, ERS Eye, ERS VOC, EMS, ELT",
      {"elsys-ers", "elsys-ers-co2", "elsys-ers-lite", "elsys-ers-sound", "elsys-ers-eye", "elsys-ers-voc", "elsys-ems",
       "elsys-elt", "elsys-elt-2"},
      std::make_shared<ElsysDecoder>(),
      {Expect(1, "0100e202290400270506060308", {{"temperature", 22.6}, {"humidity", 41}, {"light", 39}, {"motion", 6}, {"co2", 776}}),
       Refuse(1, "0100e2022903", "needs 3 bytes")});
  // Milesight's published examples.
  Add(out, "milesight", "Milesight AM102/AM104/AM107, AM307/AM308/AM319, EM300-TH",
      {"milesight-am102", "milesight-am104", "milesight-am107", "milesight-am307", "milesight-am308", "milesight-am319",
       "milesight-em300-th"},
      std::make_shared<MilesightDecoder>(),
      {Expect(85, "01755c03673401046865056a4900", {{"battery", 92}, {"temperature", 30.8}, {"humidity", 50.5}, {"activity", 73}}),
       Refuse(85, "0367", "needs 2 bytes, 0 left")});
  AddAdeunis(out);
  // Dragino's published example, then the probe unplugged and a negative temperature.
  Add(out, "dragino-lht65", "Dragino LHT65 temperature/humidity sensor and its external probes", {"lht65"},
      std::make_shared<DraginoLht65Decoder>(),
      {Expect(2, "cbf60b0d0376010add7fff",
              {{"battery_voltage", 3.062}, {"battery_status", 3}, {"temperature", 28.29}, {"humidity", 88.6}, {"ext_temperature", 27.81}}),
       Expect(2, "cbf60b0d0376017fff7fff", {{"battery_voltage", 3.062}, {"battery_status", 3}, {"temperature", 28.29}, {"humidity", 88.6}}),
       Expect(2, "0bb8ff380258000000ffff", {{"battery_voltage", 3.0}, {"battery_status", 0}, {"temperature", -2.0}, {"humidity", 60.0}}),
       Refuse(42, "cbf60b0d0376010add7fff", "fPort 42 is not"), Refuse(2, "cbf60b0d03", "11 bytes, got 5")});
  // Netvox's published examples.
  Add(out, "netvox", "Netvox R711/R718/R311/R312/R72x/RA07/R602A/R809A/R816B/RB02I/RB11E families", NetvoxAliases(),
      std::make_shared<NetvoxDecoder>(),
      {Expect(6, "0101011e09ea1a90000000", {{"Volt", 3}, {"Temp", 25.38}, {"Humi", 68}}),
       Expect(6, "0105097803e8fce803e800", {{"Volt", 12}, {"NTU", 100}, {"TempNTU", -7.92}, {"EC5SoildHumi", 10}}),
       Expect(7, "8101000000000000000000", {}), Refuse(6, "01ff011e", "unknown Netvox device type 0xff")});
  // Watteco's published examples.
  Add(out, "watteco", "nke Watteco standard reports (Temp'O, HygroTemp'O, VAQA'O, Clim'O, Pulse Senso, Flash'O, Ventil'O...)",
      {"nke-watteco", "watteco-temp-o", "watteco-hygrotemp-o", "watteco-vaqa-o", "watteco-vaqa-o-lt", "watteco-clim-o",
       "watteco-pulse-senso", "watteco-flash-o", "watteco-ventil-o", "watteco-move-o"},
      std::make_shared<WattecoDecoder>(),
      {Expect(125, "110A04020000290998", {{"temperature", 24.56}}), Expect(125, "110a04050000211111", {{"humidity", 43.69}}),
       Expect(125, "110a000f04022311111111", {{"index", 286331153}}),
       Expect(125, "110a00500006410501040DAC04", {{"disposable_battery_voltage", 3.5}}),
       Expect(125, "310A000C00553944f5e000", {{"analog_ep1", 1967}}), Expect(125, "1107000f00000402", {}),
       Refuse(125, "100000", "batch (compressed) reports")});
  // Frames built from Nexelec's field tables.
  Add(out, "nexelec-carbon", "Nexelec Insafe+ Carbon CO2/temperature/humidity", {"nexelec-insafe-carbon", "insafe-carbon"},
      std::make_shared<NexelecDecoder>(NexelecDecoder::Model::kCarbon),
      {Expect(1, "72286e5a2a4003",
              {{"co2", 800}, {"temperature", 22}, {"humidity", 45}, {"iaq_global", 1}, {"iaq_co2", 1}, {"iaq_dryness", 0},
               {"iaq_mould", 0}, {"iaq_dust_mites", 0}}),
       Expect(1, "751e6450236955296f5b14", {{"co2", 820}, {"temperature", 22.2}, {"humidity", 45.5}}),
       Expect(1, "773c50", {{"co2", 1200}, {"co2_threshold_1", 1}, {"co2_threshold_2", 0}}),
       Refuse(1, "7228", "needs 7 bytes, got 2")});
  Add(out, "nexelec-origin", "Nexelec Insafe+ Origin smoke alarm with temperature/humidity",
      {"nexelec-insafe-origin", "insafe-origin"}, std::make_shared<NexelecDecoder>(NexelecDecoder::Model::kOrigin),
      {Expect(1, "a20500506bad00",
              {{"iaq_global", 0}, {"iaq_dryness", 1}, {"iaq_mould", 2}, {"iaq_dust_mites", 0}, {"temperature", 21.5}, {"humidity", 45}}),
       Expect(1, "a205fe50ffff80", {{"iaq_dryness", 1}, {"iaq_mould", 2}, {"iaq_dust_mites", 0}}),
       Expect(1, "a203800c20",
              {{"smoke_alarm", 1}, {"smoke_alarm_hush", 0}, {"smoke_test", 0}, {"maintenance_alarm", 0}, {"humidity_alarm", 0},
               {"temperature_alarm", 0}}),
       Expect(1, "a2044a5f7369466e5a00",
              {{"iaq_global", 2}, {"temperature_min", 19}, {"temperature_max", 23}, {"temperature_mean", 21}, {"humidity_min", 35},
               {"humidity_max", 55}, {"humidity_mean", 45}}),
       Expect(1, "a20001027600c8be4000055182a00064000000",
              {{"remaining_lifetime", 118}, {"smoke_sensor_fault", 0}, {"temperature_humidity_sensor_fault", 0},
               {"battery1_voltage", 3.0}, {"battery2_voltage", 2.95}, {"battery_level", 1}}),
       Refuse(1, "a3050000", "not an Insafe+ Origin frame")});
  auto json = [](std::string_view text) { return Bytes(text.begin(), text.end()); };
  Add(out, "json-values", "already decoded values (a configured envelope's payload_encoding = \"json\")", {},
      std::make_shared<JsonValuesDecoder>(),
      {{std::nullopt, json(R"({"temperature": 21.5, "door": true, "probe": {"t": 3}, "label": "x"})"),
        {{"temperature", 21.5}, {"door", 1}, {"probe_t", 3}}, "", "", false, std::nullopt},
       {std::nullopt, json("[1]"), {}, "not a JSON object", "", false, std::nullopt}});
  return out;
}

}  // namespace telecollect::decode
