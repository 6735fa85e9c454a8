#include "decode/native/native_types.h"

#include "decode/native/elsys.h"
#include "decode/native/milesight.h"

namespace telecollect::decode {

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
  return out;
}

}  // namespace telecollect::decode
