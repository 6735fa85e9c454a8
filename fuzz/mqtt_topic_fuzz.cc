// MQTT topic filters (src/mqtt/topic_filter.h) against libmosquitto's own checks as the oracle:
// the input is "<filter>\n<topic>". A filter is valid for us exactly when mosquitto_sub_topic_check
// accepts it, and for a valid filter and topic name both matchers agree.
#include <mosquitto.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "mqtt/topic_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nl = input.find('\n');
  const std::string filter = input.substr(0, nl);
  const std::string topic = nl == std::string::npos ? filter : input.substr(nl + 1);
  // libmosquitto reads C strings, and checks UTF-8 besides: compare on NUL-free ASCII only.
  for (char c : input) {
    if (c == '\0' || static_cast<unsigned char>(c) >= 0x80) return 0;
  }
  using telecollect::mqtt::CheckTopicFilter;
  using telecollect::mqtt::CheckTopicName;
  using telecollect::mqtt::TopicMatches;
  const bool ours = CheckTopicFilter(filter).ok();
  const bool theirs = !filter.empty() && mosquitto_sub_topic_check(filter.c_str()) == MOSQ_ERR_SUCCESS;
  if (ours != theirs) std::abort();
  if (!ours || !CheckTopicName(topic).ok() || mosquitto_pub_topic_check(topic.c_str()) != MOSQ_ERR_SUCCESS) return 0;
  bool matched = false;
  if (mosquitto_topic_matches_sub(filter.c_str(), topic.c_str(), &matched) != MOSQ_ERR_SUCCESS) return 0;
  if (TopicMatches(filter, topic) != matched) std::abort();
  return 0;
}
