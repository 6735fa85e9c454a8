#pragma once

#include <functional>

#include "push/envelope.h"
#include "push/json_fields.h"

namespace telecollect::push {

// What a platform parser made of one item of the body.
enum class ItemKind { kUplink, kIgnored };

// Runs `read` over every item of a JSON body (object, array or NDJSON) with a
// fresh Frame (source, received_at, default device type set). Shared checks
// after `read`: a device id, an event time (received_at when the platform gives
// none), not further ahead than max_future_skew. All-or-nothing: the first
// error clears the frames.
ParsedFrames ParsePlatformItems(const PushRequest& request, std::string_view source,
                                const std::function<ItemKind(ItemReader&, Frame&)>& read);

// The checks every frame passes, built-in or configured: a device id, an event
// time (received_at when it has none, -1), not further ahead than max_future_skew.
std::optional<ItemError> CheckFrame(const PushRequest& request, size_t index, Frame& frame);

// One class per platform body format; facts and worked examples in docs/platforms/.
#define TC_DECLARE_ENVELOPE(Class, name)                              \
  class Class final : public Envelope {                               \
   public:                                                            \
    std::string_view source() const override { return name; }         \
    ParsedFrames Parse(const PushRequest& request) const override;    \
  }

TC_DECLARE_ENVELOPE(TtnEnvelope, "ttn");
TC_DECLARE_ENVELOPE(ChirpstackEnvelope, "chirpstack");
TC_DECLARE_ENVELOPE(SigfoxEnvelope, "sigfox");
TC_DECLARE_ENVELOPE(LiveObjectsEnvelope, "liveobjects");
TC_DECLARE_ENVELOPE(ObjeniousEnvelope, "objenious");
TC_DECLARE_ENVELOPE(ThingparkEnvelope, "thingpark");
TC_DECLARE_ENVELOPE(LoriotEnvelope, "loriot");
TC_DECLARE_ENVELOPE(KerlinkEnvelope, "kerlink");
TC_DECLARE_ENVELOPE(MultitechEnvelope, "multitech");

#undef TC_DECLARE_ENVELOPE

}  // namespace telecollect::push
