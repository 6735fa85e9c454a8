#include "decode/decode_report.h"

#include "core/json_writer.h"

namespace telecollect::decode {

std::string DecodeReportJson(const DeviceType& type, const Bytes& payload, std::optional<int> fport,
                             std::string_view device_id, bool* ok) {
  auto values = type.decoder->Decode({payload, fport, 0});
  if (values.ok()) type.Shape(*values);
  *ok = values.ok();
  JsonWriter w;
  w.BeginObject().Key("devicetype").String(type.name).Key("version").String(type.version);
  if (!values.ok()) {
    w.Key("errors").BeginArray().String(values.status().message()).EndArray().EndObject();
    return w.Take();
  }
  w.Key("data").BeginObject();
  for (const auto& v : *values) w.Key(v.field).Number(v.value);
  w.EndObject().Key("measurements").BeginArray();
  for (const auto& v : *values) {
    w.BeginObject().Key("module").String(type.ModuleId(device_id, v.field)).Key("value").Number(v.value)
        .Key("unit").String(v.unit).EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

}  // namespace telecollect::decode
