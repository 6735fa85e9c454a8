#include "decode/native/native_types.h"

#include "decode/native/adeunis.h"
#include "decode/native/dragino_lht65.h"
#include "decode/native/elsys.h"
#include "decode/native/milesight.h"
#include "decode/native/netvox.h"
#include "decode/native/nexelec.h"
#include "decode/native/watteco.h"

namespace telecollect::decode {
namespace {

DeviceType Adeunis(const char* name, const char* product, AdeunisDecoder::Model model, std::string codec_type) {
  DeviceType t;
  t.name = name;
  t.description = std::string("Adeunis ") + product + " (native; Adeunis codec type \"" + codec_type + "\")";
  t.origin = std::string("native:") + name;
  t.aliases = {"adeunis-" + NormalizeDeviceType(codec_type)};
  if (t.aliases[0] == name) t.aliases.clear();
  t.decoder = std::make_shared<AdeunisDecoder>(model);
  return t;
}

// Adeunis's own examples (the test files of its codec library), with what
// that library decodes from them.
void AddAdeunisTypes(std::vector<DeviceType>& out) {
  using M = AdeunisDecoder::Model;
  DeviceType comfort = Adeunis("adeunis-comfort", "Comfort, firmware before 2.1 (8275AA/CA)", M::kComfort, "comfort");
  comfort.tests.push_back({1, *DecodeHex("4c2000c51f00c72000c82100ca2200cc2300cd24"),
                           {{"temperature", 19.7}, {"humidity", 31}, {"low_battery", 0}}, ""});
  out.push_back(std::move(comfort));

  DeviceType comfort2 = Adeunis("adeunis-comfort2", "Comfort, firmware 2.1 and later (8275AA/CA)", M::kComfort2, "comfort2");
  comfort2.tests.push_back({1, *DecodeHex("4c9600c51f00c72000c82100ca2200cc2300cd2414ABA3E9"),
                            {{"temperature", 19.7}, {"humidity", 31}, {"low_battery", 1}}, ""});
  comfort2.tests.push_back({1, *DecodeHex("4c2000c51f00"), {}, "are not whole 3-byte samples"});
  out.push_back(std::move(comfort2));

  DeviceType co2 = Adeunis("adeunis-comfort-co2", "Comfort CO2 (8373AA/CA)", M::kComfortCo2, "comfortCo2");
  co2.tests.push_back({1, *DecodeHex("6a8401B33E01A401B43F01A614ABA3E9"),
                       {{"temperature", 43.5}, {"humidity", 62}, {"co2", 420}, {"low_battery", 0}}, ""});
  out.push_back(std::move(co2));

  DeviceType temp = Adeunis("adeunis-temp", "Temp, firmware 1.x (8180AA)", M::kTemp, "temp");
  temp.tests.push_back({1, *DecodeHex("43401100f4200000"), {{"temperature_1", 24.4}, {"low_battery", 0}}, ""});
  out.push_back(std::move(temp));

  DeviceType temp3 = Adeunis("adeunis-temp3", "Temp 3", M::kTemp3, "temp3");
  temp3.tests.push_back({1, *DecodeHex("571001B301B2"), {{"temperature_1", 43.5}, {"temperature_2", 43.4}, {"low_battery", 0}}, ""});
  out.push_back(std::move(temp3));

  DeviceType temp4 = Adeunis("adeunis-temp4", "Temp 4", M::kTemp4, "temp4");
  temp4.tests.push_back({1, *DecodeHex("570401B3800001B201B114ABA3E9"), {{"temperature_1", 43.5}, {"low_battery", 0}}, ""});
  out.push_back(std::move(temp4));

  DeviceType pulse = Adeunis("adeunis-pulse", "Pulse, firmware 2.x", M::kPulse, "pulse");
  pulse.tests.push_back({1, *DecodeHex("46800000009f00000002"), {{"index_a", 159}, {"index_b", 2}, {"low_battery", 0}}, ""});
  out.push_back(std::move(pulse));

  DeviceType pulse3 = Adeunis("adeunis-pulse3", "Pulse 3", M::kPulse3, "pulse3");
  pulse3.tests.push_back({1, *DecodeHex("5a20000001270001000200030004"), {{"index_a", 295}, {"low_battery", 0}}, ""});
  out.push_back(std::move(pulse3));

  DeviceType pulse4 = Adeunis("adeunis-pulse4", "Pulse 4", M::kPulse4, "pulse4");
  pulse4.tests.push_back({1, *DecodeHex("5b8400000127000100020003000414ABA3E9"), {{"index_b", 295}, {"low_battery", 0}}, ""});
  out.push_back(std::move(pulse4));
}

}  // namespace

std::vector<DeviceType> NativeDeviceTypes() {
  std::vector<DeviceType> out;
  {
    DeviceType t;
    t.name = "elsys";
    t.description = "Elsys ERS, ERS CO2, ERS Lite, ERS Sound, ERS Eye, ERS VOC, EMS, ELT (native)";
    t.origin = "native:elsys";
    t.aliases = {"elsys-ers", "elsys-ers-co2", "elsys-ers-lite", "elsys-ers-sound", "elsys-ers-eye",
                 "elsys-ers-voc", "elsys-ems", "elsys-elt", "elsys-elt-2"};
    t.decoder = std::make_shared<ElsysDecoder>();
    // Elsys' published examples.
    t.tests.push_back({1, *DecodeHex("0100e202290400270506060308"),
                       {{"temperature", 22.6}, {"humidity", 41}, {"light", 39}, {"motion", 6}, {"co2", 776}}, ""});
    t.tests.push_back({1, *DecodeHex("0100e2022903"), {}, "needs 3 bytes"});
    out.push_back(std::move(t));
  }
  {
    DeviceType t;
    t.name = "milesight";
    t.description = "Milesight AM102/AM104/AM107, AM307/AM308/AM319, EM300-TH (native)";
    t.origin = "native:milesight";
    t.aliases = {"milesight-am102", "milesight-am104", "milesight-am107", "milesight-am307", "milesight-am308",
                 "milesight-am319", "milesight-em300-th"};
    t.decoder = std::make_shared<MilesightDecoder>();
    // Milesight's published examples.
    t.tests.push_back({85, *DecodeHex("01755c03673401046865056a4900"),
                       {{"battery", 92}, {"temperature", 30.8}, {"humidity", 50.5}, {"activity", 73}}, ""});
    t.tests.push_back({85, *DecodeHex("0367"), {}, "needs 2 bytes, 0 left"});
    out.push_back(std::move(t));
  }
  AddAdeunisTypes(out);
  {
    DeviceType t;
    t.name = "dragino-lht65";
    t.description = "Dragino LHT65 temperature/humidity sensor and its external probes (native)";
    t.origin = "native:dragino-lht65";
    t.aliases = {"lht65"};
    t.decoder = std::make_shared<DraginoLht65Decoder>();
    // Dragino's published example, then the probe unplugged and a negative temperature.
    t.tests.push_back({2, *DecodeHex("cbf60b0d0376010add7fff"),
                       {{"battery_voltage", 3.062}, {"battery_status", 3}, {"temperature", 28.29}, {"humidity", 88.6},
                        {"ext_temperature", 27.81}}, ""});
    t.tests.push_back({2, *DecodeHex("cbf60b0d0376017fff7fff"),
                       {{"battery_voltage", 3.062}, {"battery_status", 3}, {"temperature", 28.29}, {"humidity", 88.6}}, ""});
    t.tests.push_back({2, *DecodeHex("0bb8ff380258000000ffff"),
                       {{"battery_voltage", 3.0}, {"battery_status", 0}, {"temperature", -2.0}, {"humidity", 60.0}}, ""});
    t.tests.push_back({42, *DecodeHex("cbf60b0d0376010add7fff"), {}, "fPort 42 is not"});
    t.tests.push_back({2, *DecodeHex("cbf60b0d03"), {}, "11 bytes, got 5"});
    out.push_back(std::move(t));
  }
  {
    DeviceType t;
    t.name = "netvox";
    t.description = "Netvox R711/R718/R311/R312/R72x/RA07/R602A/R809A/R816B/RB02I/RB11E families (native)";
    t.origin = "native:netvox";
    for (int b = 0; b < 256; ++b) {
      const std::string_view model = NetvoxDecoder::ModelName(static_cast<uint8_t>(b));
      if (model.empty()) continue;
      std::string alias = "netvox-" + NormalizeDeviceType(model);
      if (alias != "netvox-r718a") t.aliases.push_back(std::move(alias));  // decoders/netvox-r718a.toml
    }
    t.decoder = std::make_shared<NetvoxDecoder>();
    // Netvox's published examples.
    t.tests.push_back({6, *DecodeHex("0101011e09ea1a90000000"), {{"Volt", 3}, {"Temp", 25.38}, {"Humi", 68}}, ""});
    t.tests.push_back({6, *DecodeHex("0105097803e8fce803e800"),
                       {{"Volt", 12}, {"NTU", 100}, {"TempNTU", -7.92}, {"EC5SoildHumi", 10}}, ""});
    t.tests.push_back({7, *DecodeHex("8101000000000000000000"), {}, ""});
    t.tests.push_back({6, *DecodeHex("01ff011e"), {}, "unknown Netvox device type 0xff"});
    out.push_back(std::move(t));
  }
  {
    DeviceType t;
    t.name = "watteco";
    t.description = "nke Watteco standard reports (Temp'O, HygroTemp'O, VAQA'O, Clim'O, Pulse Senso, Flash'O, Ventil'O...) (native)";
    t.origin = "native:watteco";
    t.aliases = {"nke-watteco", "watteco-temp-o", "watteco-hygrotemp-o", "watteco-vaqa-o", "watteco-vaqa-o-lt",
                 "watteco-clim-o", "watteco-pulse-senso", "watteco-flash-o", "watteco-ventil-o", "watteco-move-o"};
    t.decoder = std::make_shared<WattecoDecoder>();
    // Watteco's published examples.
    t.tests.push_back({125, *DecodeHex("110A04020000290998"), {{"temperature", 24.56}}, ""});
    t.tests.push_back({125, *DecodeHex("110a04050000211111"), {{"humidity", 43.69}}, ""});
    t.tests.push_back({125, *DecodeHex("110a000f04022311111111"), {{"index", 286331153}}, ""});
    t.tests.push_back({125, *DecodeHex("110a00500006410501040DAC04"), {{"disposable_battery_voltage", 3.5}}, ""});
    t.tests.push_back({125, *DecodeHex("310A000C00553944f5e000"), {{"analog_ep1", 1967}}, ""});
    t.tests.push_back({125, *DecodeHex("1107000f00000402"), {}, ""});
    t.tests.push_back({125, *DecodeHex("100000"), {}, "batch (compressed) reports"});
    out.push_back(std::move(t));
  }
  {
    DeviceType t;
    t.name = "nexelec-carbon";
    t.description = "Nexelec Insafe+ Carbon CO2/temperature/humidity (native)";
    t.origin = "native:nexelec-carbon";
    t.aliases = {"nexelec-insafe-carbon", "insafe-carbon"};
    t.decoder = std::make_shared<NexelecDecoder>(NexelecDecoder::Model::kCarbon);
    t.tests.push_back({1, *DecodeHex("72286e5a2a4003"),
                       {{"co2", 800}, {"temperature", 22}, {"humidity", 45}, {"iaq_global", 1}, {"iaq_co2", 1},
                        {"iaq_dryness", 0}, {"iaq_mould", 0}, {"iaq_dust_mites", 0}}, ""});
    t.tests.push_back({1, *DecodeHex("751e6450236955296f5b14"), {{"co2", 820}, {"temperature", 22.2}, {"humidity", 45.5}}, ""});
    t.tests.push_back({1, *DecodeHex("773c50"), {{"co2", 1200}, {"co2_threshold_1", 1}, {"co2_threshold_2", 0}}, ""});
    t.tests.push_back({1, *DecodeHex("7228"), {}, "needs 7 bytes, got 2"});
    out.push_back(std::move(t));
  }
  {
    DeviceType t;
    t.name = "nexelec-origin";
    t.description = "Nexelec Insafe+ Origin smoke alarm with temperature/humidity (native)";
    t.origin = "native:nexelec-origin";
    t.aliases = {"nexelec-insafe-origin", "insafe-origin"};
    t.decoder = std::make_shared<NexelecDecoder>(NexelecDecoder::Model::kOrigin);
    t.tests.push_back({1, *DecodeHex("a20500506bad00"),
                       {{"iaq_global", 0}, {"iaq_dryness", 1}, {"iaq_mould", 2}, {"iaq_dust_mites", 0},
                        {"temperature", 21.5}, {"humidity", 45}}, ""});
    t.tests.push_back({1, *DecodeHex("a205fe50ffff80"), {{"iaq_dryness", 1}, {"iaq_mould", 2}, {"iaq_dust_mites", 0}}, ""});
    t.tests.push_back({1, *DecodeHex("a203800c20"),
                       {{"smoke_alarm", 1}, {"smoke_alarm_hush", 0}, {"smoke_test", 0}, {"maintenance_alarm", 0},
                        {"humidity_alarm", 0}, {"temperature_alarm", 0}}, ""});
    t.tests.push_back({1, *DecodeHex("a2044a5f7369466e5a00"),
                       {{"iaq_global", 2}, {"temperature_min", 19}, {"temperature_max", 23}, {"temperature_mean", 21},
                        {"humidity_min", 35}, {"humidity_max", 55}, {"humidity_mean", 45}}, ""});
    t.tests.push_back({1, *DecodeHex("a20001027600c8be4000055182a00064000000"),
                       {{"remaining_lifetime", 118}, {"smoke_sensor_fault", 0}, {"temperature_humidity_sensor_fault", 0},
                        {"battery1_voltage", 3.0}, {"battery2_voltage", 2.95}, {"battery_level", 1}}, ""});
    t.tests.push_back({1, *DecodeHex("a3050000"), {}, "not an Insafe+ Origin frame"});
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace telecollect::decode
