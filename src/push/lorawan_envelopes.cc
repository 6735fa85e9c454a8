// LoRaWAN network servers and platforms: The Things Stack, ChirpStack, Orange
// Live Objects, Objenious, Actility ThingPark, Loriot, Kerlink WMC, Multitech
// Conduit. Field facts: docs/platforms/.
#include "push/platform_envelope.h"

namespace telecollect::push {
namespace {

void SetFport(ItemReader& r, Frame& f, std::string_view path) {
  if (auto p = r.Integer(path, 0, 255)) f.fport = static_cast<int>(*p);
}

void SetTimeIfPresent(ItemReader& r, Frame& f, std::string_view path) {
  if (auto t = r.Time(path)) f.event_time = *t;
}

}  // namespace

// The Things Stack v3 webhook, uplink_message. Zero values are omitted by the
// platform: no f_port means 0, no frm_payload means an empty payload.
ParsedFrames TtnEnvelope::Parse(const PushRequest& req) const {
  return ParsePlatformItems(req, source(), [](ItemReader& r, Frame& f) {
    if (!r.Has("uplink_message")) return ItemKind::kIgnored;  // join_accept, downlink_*, location_solved, ...
    auto eui = r.String("end_device_ids.dev_eui");
    if (!eui) eui = r.String("end_device_ids.device_id");
    if (eui) f.device_id = NormalizeDeviceId(*eui);
    SetTimeIfPresent(r, f, "uplink_message.received_at");
    SetTimeIfPresent(r, f, "received_at");
    f.payload = r.Base64("uplink_message.frm_payload").value_or(Bytes{});
    f.fport = static_cast<int>(r.Integer("uplink_message.f_port", 0, 255).value_or(0));
    auto brand = r.String("uplink_message.version_ids.brand_id");
    auto model = r.String("uplink_message.version_ids.model_id");
    if (brand && model && f.device_type.empty()) f.device_type = *brand + "-" + *model;
    f.metadata_json = r.Metadata({"end_device_ids.device_id", "end_device_ids.application_ids.application_id",
                                  "uplink_message.f_cnt", "uplink_message.rx_metadata", "uplink_message.settings"});
    return ItemKind::kUplink;
  });
}

// ChirpStack v4 HTTP integration, JSON encoding. ?event= other than "up" is
// acknowledged and ignored.
ParsedFrames ChirpstackEnvelope::Parse(const PushRequest& req) const {
  auto event = req.query.find("event");
  const bool not_up = event != req.query.end() && event->second != "up";
  return ParsePlatformItems(req, source(), [not_up](ItemReader& r, Frame& f) {
    if (not_up) return ItemKind::kIgnored;
    auto eui = r.String("deviceInfo.devEui");
    if (!r.Require(eui, "deviceInfo.devEui")) return ItemKind::kUplink;
    f.device_id = NormalizeDeviceId(*eui);
    SetTimeIfPresent(r, f, "time");
    f.payload = r.Base64("data").value_or(Bytes{});
    f.fport = static_cast<int>(r.Integer("fPort", 0, 255).value_or(0));
    if (auto profile = r.String("deviceInfo.deviceProfileName"); profile && f.device_type.empty()) {
      f.device_type = *profile;
    }
    f.metadata_json = r.Metadata({"deduplicationId", "deviceInfo.deviceName", "deviceInfo.applicationName", "fCnt",
                                  "dr", "rxInfo", "txInfo"});
    return ItemKind::kUplink;
  });
}

// Orange Live Objects LoRa data message.
ParsedFrames LiveObjectsEnvelope::Parse(const PushRequest& req) const {
  return ParsePlatformItems(req, source(), [](ItemReader& r, Frame& f) {
    auto eui = r.String("metadata.network.lora.devEUI");
    if (!eui) eui = r.String("streamId");
    if (!eui) eui = r.String("metadata.source");
    if (eui) f.device_id = NormalizeDeviceId(*eui);
    SetTimeIfPresent(r, f, "timestamp");
    auto payload = r.Hex("value.payload");
    if (!r.Require(payload, "value.payload")) return ItemKind::kUplink;
    f.payload = std::move(*payload);
    SetFport(r, f, "metadata.network.lora.port");
    f.metadata_json = r.Metadata({"id", "metadata.network.lora.fcnt", "metadata.network.lora.rssi",
                                  "metadata.network.lora.snr", "metadata.network.lora.sf",
                                  "metadata.network.lora.gatewayCnt", "metadata.encoding"});
    return ItemKind::kUplink;
  });
}

// Objenious (Bouygues) routing, "messages" format: only type=uplink is a frame.
ParsedFrames ObjeniousEnvelope::Parse(const PushRequest& req) const {
  return ParsePlatformItems(req, source(), [](ItemReader& r, Frame& f) {
    auto type = r.String("type");
    if (type && *type != "uplink") return ItemKind::kIgnored;  // join, downlink, external
    auto eui = r.String("device_properties.deveui");
    if (!r.Require(eui, "device_properties.deveui")) return ItemKind::kUplink;
    f.device_id = NormalizeDeviceId(*eui);
    SetTimeIfPresent(r, f, "timestamp");
    auto payload = r.Hex("payload_cleartext");
    if (!r.Require(payload, "payload_cleartext")) return ItemKind::kUplink;
    f.payload = std::move(*payload);
    SetFport(r, f, "protocol_data.port");
    f.metadata_json = r.Metadata({"id", "count", "device_id", "device_properties.external_id", "lat", "lng"});
    return ItemKind::kUplink;
  });
}

// Actility ThingPark "Basic HTTPS": {"DevEUI_uplink": {...}}; other report types ignored.
ParsedFrames ThingparkEnvelope::Parse(const PushRequest& req) const {
  return ParsePlatformItems(req, source(), [](ItemReader& r, Frame& f) {
    if (!r.Has("DevEUI_uplink")) return ItemKind::kIgnored;  // DevEUI_notification, DevEUI_location, ...
    auto eui = r.String("DevEUI_uplink.DevEUI");
    if (!r.Require(eui, "DevEUI_uplink.DevEUI")) return ItemKind::kUplink;
    f.device_id = NormalizeDeviceId(*eui);
    SetTimeIfPresent(r, f, "DevEUI_uplink.Time");
    auto payload = r.Hex("DevEUI_uplink.payload_hex");
    if (!r.Require(payload, "DevEUI_uplink.payload_hex")) return ItemKind::kUplink;
    f.payload = std::move(*payload);
    SetFport(r, f, "DevEUI_uplink.FPort");
    if (auto pro = r.String("DevEUI_uplink.CustomerData.alr.pro"); pro && f.device_type.empty()) f.device_type = *pro;
    f.metadata_json = r.Metadata({"DevEUI_uplink.FCntUp", "DevEUI_uplink.LrrRSSI", "DevEUI_uplink.LrrSNR",
                                  "DevEUI_uplink.SpFact", "DevEUI_uplink.Lrrid", "DevEUI_uplink.DevLrrCnt",
                                  "DevEUI_uplink.CustomerData.name"});
    return ItemKind::kUplink;
  });
}

// Loriot HTTP push: cmd=rx. `encdata` (no AppSKey at Loriot) is kept, flagged encrypted.
ParsedFrames LoriotEnvelope::Parse(const PushRequest& req) const {
  return ParsePlatformItems(req, source(), [](ItemReader& r, Frame& f) {
    auto cmd = r.String("cmd");
    if (cmd && *cmd != "rx") return ItemKind::kIgnored;  // gw, txd, join notices
    auto eui = r.String("EUI");
    if (!r.Require(eui, "EUI")) return ItemKind::kUplink;
    f.device_id = NormalizeDeviceId(*eui);
    if (auto ts = r.EpochMillis("ts")) f.event_time = *ts;
    if (auto data = r.Hex("data")) {
      f.payload = std::move(*data);
    } else if (auto enc = r.Hex("encdata")) {
      f.payload = std::move(*enc);
      f.encrypted = true;
    } else if (!r.error()) {
      r.Fail("data", "is missing (neither data nor encdata)");
    }
    SetFport(r, f, "port");
    f.metadata_json = r.Metadata({"fcnt", "rssi", "snr", "dr", "freq", "bat", "ack"});
    return ItemKind::kUplink;
  });
}

// Kerlink Wanesy WMC push (/dataUp). gwRecvTime, when present (data buffered on
// the gateway), is when the device sent it.
ParsedFrames KerlinkEnvelope::Parse(const PushRequest& req) const {
  return ParsePlatformItems(req, source(), [](ItemReader& r, Frame& f) {
    auto eui = r.String("endDevice.devEui");
    if (!r.Require(eui, "endDevice.devEui")) return ItemKind::kUplink;
    f.device_id = NormalizeDeviceId(*eui);
    if (auto t = r.EpochMillis("recvTime")) f.event_time = *t;
    if (auto t = r.EpochMillis("gwRecvTime")) f.event_time = *t;
    const std::string encoding = r.String("encodingType").value_or("HEXA");
    auto payload = encoding == "BASE64" ? r.Base64("payload") : r.Hex("payload");
    if (!r.Require(payload, "payload")) return ItemKind::kUplink;
    f.payload = std::move(*payload);
    f.encrypted = r.Bool("encrypted").value_or(false);
    SetFport(r, f, "fPort");
    f.metadata_json = r.Metadata({"id", "fCntUp", "dataRate", "gwCnt", "gwInfo", "ulFrequency"});
    return ItemKind::kUplink;
  });
}

// Multitech Conduit LoRaWAN app, HTTP mode: .../<APP-EUI>/up (array of up to
// 10 uplinks) or .../<APP-EUI>/<DEV-EUI>/up (one). init, joined and close are
// acknowledged and ignored.
ParsedFrames MultitechEnvelope::Parse(const PushRequest& req) const {
  const bool up = req.subpath.empty() || req.subpath.back() == "up";
  return ParsePlatformItems(req, source(), [up](ItemReader& r, Frame& f) {
    if (!up) return ItemKind::kIgnored;
    auto eui = r.String("deveui");
    if (!r.Require(eui, "deveui")) return ItemKind::kUplink;
    f.device_id = NormalizeDeviceId(*eui);
    SetTimeIfPresent(r, f, "time");
    f.payload = r.Base64("data").value_or(Bytes{});
    SetFport(r, f, "port");
    f.metadata_json = r.Metadata({"fcnt", "datr", "lsnr", "rssi", "freq", "gweui", "appeui", "seqn"});
    return ItemKind::kUplink;
  });
}

}  // namespace telecollect::push
