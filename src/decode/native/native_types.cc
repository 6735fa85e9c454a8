#include "decode/native/native_types.h"

#include "decode/native/adeunis.h"
#include "decode/native/elsys.h"
#include "decode/native/milesight.h"

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
  return out;
}

}  // namespace telecollect::decode
