#include "mqtt/topic_filter.h"

namespace telecollect::mqtt {
namespace {

constexpr size_t kMaxTopicBytes = 65535;  // a UTF-8 string of the protocol

// The next level of `s` from `pos` (up to '/' or the end); `pos` moves past it
// and its '/', or to npos after the last level.
std::string_view NextLevel(std::string_view s, size_t& pos) {
  const size_t slash = s.find('/', pos);
  std::string_view level = s.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
  pos = slash == std::string_view::npos ? std::string_view::npos : slash + 1;
  return level;
}

}  // namespace

Status CheckTopicFilter(std::string_view filter) {
  if (filter.empty()) return Status::InvalidArgument("a topic filter must not be empty");
  if (filter.size() > kMaxTopicBytes) return Status::InvalidArgument("a topic filter is at most 65535 bytes");
  if (filter.find('\0') != std::string_view::npos) return Status::InvalidArgument("a topic filter must not hold a NUL byte");
  size_t pos = 0;
  for (size_t n = 1; pos != std::string_view::npos; ++n) {
    const std::string_view level = NextLevel(filter, pos);
    const std::string where = "level " + std::to_string(n) + " (\"" + std::string(level.substr(0, 40)) + "\"): ";
    if (level.find('#') != std::string_view::npos) {
      if (level != "#") return Status::InvalidArgument(where + "'#' must fill a whole level");
      if (pos != std::string_view::npos) return Status::InvalidArgument(where + "'#' must be the last level");
    }
    if (level.find('+') != std::string_view::npos && level != "+")
      return Status::InvalidArgument(where + "'+' must fill a whole level");
  }
  return Status::Ok();
}

Status CheckTopicName(std::string_view topic) {
  if (topic.empty()) return Status::InvalidArgument("a topic name must not be empty");
  if (topic.size() > kMaxTopicBytes) return Status::InvalidArgument("a topic name is at most 65535 bytes");
  if (topic.find_first_of(std::string_view("+#\0", 3)) != std::string_view::npos)
    return Status::InvalidArgument("a topic name must not hold '+', '#' or a NUL byte");
  return Status::Ok();
}

bool TopicMatches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() && (filter[0] == '+' || filter[0] == '#')) return false;
  size_t fpos = 0, tpos = 0;
  while (fpos != std::string_view::npos) {
    const std::string_view f = NextLevel(filter, fpos);
    if (f == "#") return true;  // this level and everything below, or the parent alone
    if (tpos == std::string_view::npos) {
      // The topic has no more levels: only a trailing "#" still matches ("a/#" matches "a").
      return false;
    }
    const std::string_view t = NextLevel(topic, tpos);
    if (f != "+" && f != t) return false;
  }
  return tpos == std::string_view::npos;
}

}  // namespace telecollect::mqtt
