#include "mqtt/message_route.h"

namespace telecollect::mqtt {

std::optional<push::PushService::Route> RouteForTopic(const MqttConnector& connector, std::string_view topic) {
  const Subscription* sub = SubscriptionFor(connector, topic);
  if (sub == nullptr) return std::nullopt;
  push::PushService::Route route;
  route.source = sub->envelope;
  const size_t last = topic.rfind('/');
  if (sub->envelope == "chirpstack" && last != std::string_view::npos && topic.substr(0, last).ends_with("/event"))
    route.query["event"] = std::string(topic.substr(last + 1));
  return route;
}

}  // namespace telecollect::mqtt
