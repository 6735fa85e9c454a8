#pragma once

#include <optional>
#include <string_view>

#include "mqtt/mqtt_connector.h"
#include "push/push_service.h"

namespace telecollect::mqtt {

// How a message on `topic` enters the push path: the envelope of the first
// subscription whose filter matches it, and for ChirpStack the event that the
// topic names (application/…/device/…/event/up → ?event=up, as its HTTP
// integration says it): an event other than "up" is ignored, not stored.
// None if no subscription matches.
std::optional<push::PushService::Route> RouteForTopic(const MqttConnector& connector, std::string_view topic);

}  // namespace telecollect::mqtt
