// The routes of Api that write or decode: push, the device registry, try-decode, redecode.
#include "core/json_writer.h"
#include "decode/decode_report.h"
#include "push/device_csv.h"
#include "push/json_batch.h"
#include "push/json_fields.h"
#include "push/redecode.h"
#include "server/api.h"
#include "server/json_error.h"

namespace telecollect::server {
namespace {

HttpResponse Json(int status, std::string body) { return {status, "application/json", std::move(body), {}}; }

}  // namespace

void Api::Push(RouteCall& c, const Reply& reply) {
  push::PushService::Route route;
  route.source_from_path = !c.target.segments.empty();
  route.source = route.source_from_path ? c.Arg("source") : std::string(c.request.Header("source"));
  if (c.target.segments.size() > 3) route.subpath.assign(c.target.segments.begin() + 3, c.target.segments.end());
  route.query = c.target.params;
  const std::string_view type = c.params.Text("devicetype");
  route.default_device_type = std::string(type.empty() ? c.request.Header("devicetype") : type);
  d_.push.Push(*c.scope, route, c.request.Header("content-type"), c.request.body, [reply](push::PushResponse r) {
    HttpResponse resp = Json(r.status, std::move(r.body));
    if (r.retry_after_s > 0) resp.headers.emplace_back("Retry-After", std::to_string(r.retry_after_s));
    reply(std::move(resp));
  });
}

HttpResponse Api::ListDevices(RouteCall& c) {
  const size_t limit = c.params.Limit("limit", 1000, 100000);
  if (c.params.error()) return ParamErrorResponse(*c.params.error());
  auto list = d_.store.ListDevices(*c.scope, c.params.Text("prefix"), limit);
  if (!list.ok()) return StatusError(list.status());
  JsonWriter w;
  w.BeginObject().Key("devices").BeginArray();
  for (const auto& dev : *list) {
    w.BeginObject().Key("deviceid").String(dev.device_id).Key("devicetype").String(dev.device_type)
        .Key("label").String(dev.label).Key("module").String(dev.module_template).EndObject();
  }
  w.EndArray().EndObject();
  return Json(200, w.Take());
}

namespace {

HttpResponse Updated(push::DeviceDirectory& devices, const Scope& scope, const std::vector<store::Device>& batch) {
  Status s = devices.Update(scope, batch);
  if (!s.ok()) return StatusError(s);
  JsonWriter w;
  w.BeginObject().Key("updated").Int(static_cast<int64_t>(batch.size())).EndObject();
  return Json(200, w.Take());
}

}  // namespace

HttpResponse Api::ImportDevices(RouteCall& c) {
  auto parsed = push::ParseDeviceCsv(c.request.body);
  if (!parsed.ok()) return StatusError(parsed.status());
  return Updated(d_.devices, *c.scope, *parsed);
}

HttpResponse Api::PutDevice(RouteCall& c) {
  store::Device dev;
  dev.device_id = c.Arg("id");
  push::PushRequest body_req;
  body_req.body = c.request.body;
  body_req.max_items = 1;
  auto err = push::ForEachJsonItem(body_req, [&](size_t index, simdjson::dom::element item) {
    push::ItemReader r(index, item);
    dev.device_type = decode::NormalizeDeviceType(r.String("devicetype").value_or(""));
    dev.label = r.String("label").value_or("");
    dev.module_template = r.String("module").value_or("");
    if (!dev.module_template.empty() && dev.module_template.find("{field}") == std::string::npos) {
      r.Fail("module", "must contain {field}");
    }
    return r.error();
  });
  if (err) return Json(400, push::ErrorJson(err->ToString()));
  return Updated(d_.devices, *c.scope, {std::move(dev)});
}

HttpResponse Api::TryDecode(RouteCall& c) {
  // The preprod validation step: what would this payload become?
  const std::string& name = c.Arg("t");
  auto type = d_.registry.Find(*c.scope, name);
  if (!type) return JsonError(404, "no active decoder for device type \"" + name + "\" (GET /v1/devicetypes)");
  push::PushRequest body_req;
  body_req.body = c.request.body;
  body_req.content_type = c.request.Header("content-type");
  body_req.max_items = 1;
  std::optional<Bytes> payload;
  std::optional<int64_t> fport;
  std::string device_id = "DEVICE";
  auto err = push::ForEachJsonItem(body_req, [&](size_t index, simdjson::dom::element item) {
    push::ItemReader r(index, item);
    payload = r.Hex("payload");
    r.Require(payload, "payload");
    fport = r.Integer("fport", 0, 255);
    if (auto d = r.String("deviceid")) device_id = *d;
    return r.error();
  });
  if (err) {
    JsonWriter w;
    w.BeginObject().Key("error").String(err->ToString()).Key("field").String(err->field).EndObject();
    return Json(400, w.Take());
  }
  bool ok = false;
  std::optional<int> port;
  if (fport) port = static_cast<int>(*fport);
  std::string report = decode::DecodeReportJson(*type, *payload, port, device_id, &ok);
  return Json(ok ? 200 : 422, std::move(report));  // 422: a valid request the decoder refuses
}

HttpResponse Api::Redecode(RouteCall& c) {
  // Re-runs the current decoders over this scope's journaled frames, on the
  // worker pool (bounded by the filter); idempotent.
  QueryParams& p = c.params;
  push::RedecodeFilter filter;
  filter.scopes = {*c.scope};
  if (auto v = p.Text("devicetype"); !v.empty()) filter.device_type = decode::NormalizeDeviceType(v);
  if (auto v = p.Text("deviceid"); !v.empty()) filter.device_id = std::string(v);
  bool all = false;
  if (auto s = p.StatusParam("status", /*allow_all=*/true, &all)) filter.statuses = {*s};
  if (all) filter.statuses = {DecodeStatus::kNoDecoder, DecodeStatus::kFailed, DecodeStatus::kDecoded};
  if (auto from = p.Time("from")) filter.from = *from;
  if (auto to = p.Time("to")) filter.to = *to;
  filter.dry_run = p.Flag("dry_run");
  if (p.error()) return ParamErrorResponse(*p.error());
  auto report = push::Redecode(d_.store, d_.registry, filter);
  if (!report.ok()) return StatusError(report.status());
  JsonWriter w;
  w.BeginObject().Key("scanned").Int(static_cast<int64_t>(report->scanned))
      .Key("decoded").Int(static_cast<int64_t>(report->decoded))
      .Key("pending").Int(static_cast<int64_t>(report->pending))
      .Key("failed").Int(static_cast<int64_t>(report->failed))
      .Key("measurements").Int(static_cast<int64_t>(filter.dry_run ? 0 : report->measurements))
      .Key("dry_run").Bool(filter.dry_run).EndObject();
  return Json(200, w.Take());
}

}  // namespace telecollect::server
