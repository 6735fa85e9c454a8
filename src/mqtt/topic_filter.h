#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace telecollect::mqtt {

// MQTT topic filters as MQTT 3.1.1 (section 4.7) defines them: levels split by
// '/', '+' matches exactly one level, '#' (last level only) matches the parent
// level and any number below it. Topics starting with '$' are matched by no
// filter that starts with a wildcard.

// Ok if `filter` is a valid subscription filter; else says where and why
// ("level 3: '+' must fill a whole level").
Status CheckTopicFilter(std::string_view filter);

// Ok if `topic` is a valid topic name (non-empty, no wildcard, no NUL).
Status CheckTopicName(std::string_view topic);

// Whether `topic` (a valid topic name) matches `filter` (a valid filter).
bool TopicMatches(std::string_view filter, std::string_view topic);

}  // namespace telecollect::mqtt
