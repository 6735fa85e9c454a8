#include "push/platform_envelope.h"

#include "push/json_batch.h"

namespace telecollect::push {

std::optional<ItemError> CheckFrame(const PushRequest& req, size_t index, Frame& f) {
  if (f.device_id.empty()) return ItemError{index, "", "no device id in this message", false};
  if (f.event_time < 0) f.event_time = req.received_at;
  if (f.event_time > req.received_at + req.max_future_skew_ms) {
    return ItemError{index, "", "event time " + FormatIso8601(f.event_time) +
                                    " is more than push.max_future_skew ahead of the server clock", false};
  }
  return std::nullopt;
}

ParsedFrames ParsePlatformItems(const PushRequest& req, std::string_view source,
                                const std::function<ItemKind(ItemReader&, Frame&)>& read) {
  ParsedFrames out;
  out.error = ForEachJsonItem(req, [&](size_t index, simdjson::dom::element item) -> std::optional<ItemError> {
    ItemReader r(index, item);
    Frame f;
    f.source = std::string(source);
    f.received_at = req.received_at;
    f.event_time = -1;
    const ItemKind kind = read(r, f);
    if (r.error()) return r.error();
    if (kind == ItemKind::kIgnored) {
      ++out.ignored;
      return std::nullopt;
    }
    if (auto e = CheckFrame(req, index, f)) return e;
    out.frames.push_back(std::move(f));
    return std::nullopt;
  });
  if (out.error) {
    out.frames.clear();
    out.ignored = 0;
  }
  return out;
}

}  // namespace telecollect::push
