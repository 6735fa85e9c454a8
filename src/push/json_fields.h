#pragma once

#include <simdjson.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/hex.h"
#include "core/time_util.h"
#include "push/envelope.h"

namespace telecollect::push {

// Typed access to one item of a platform body, by dot-separated path
// ("uplink_message.f_port"). Every reader returns nullopt when the field is
// absent (or JSON null); when it is present but wrong, it also records the
// first ItemError (index, path, reason), which the parser returns at the end.
// Numbers that platforms send as strings ("FPort": "1") are accepted.
class ItemReader {
 public:
  ItemReader(size_t index, simdjson::dom::element item) : index_(index), item_(item) {}

  std::optional<simdjson::dom::element> Find(std::string_view path) const;
  bool Has(std::string_view path) const { return Find(path).has_value(); }

  std::optional<std::string> String(std::string_view path);
  std::optional<int64_t> Integer(std::string_view path, int64_t min, int64_t max);
  std::optional<bool> Bool(std::string_view path);
  // ISO-8601 with offset, or epoch seconds/milliseconds (number or digits).
  std::optional<EpochMs> Time(std::string_view path);
  // Epoch milliseconds only (number or digits): for platforms documented so.
  std::optional<EpochMs> EpochMillis(std::string_view path);
  std::optional<Bytes> Hex(std::string_view path);
  std::optional<Bytes> Base64(std::string_view path);

  // Records "is missing" for `path` when `value` is empty.
  template <typename T>
  bool Require(const std::optional<T>& value, std::string_view path) {
    if (!value && !error_) Fail(path, "is missing");
    return value.has_value();
  }
  void Fail(std::string_view path, std::string reason);

  // {"key": <raw JSON>, ...} of the paths present, for the frame's metadata.
  std::string Metadata(std::initializer_list<std::string_view> paths) const;

  const std::optional<ItemError>& error() const { return error_; }
  size_t index() const { return index_; }

 private:
  std::optional<Bytes> Encoded(std::string_view path, const char* encoding, Result<Bytes> (*decode)(std::string_view));

  const size_t index_;
  const simdjson::dom::element item_;
  std::optional<ItemError> error_;
};

// LoRaWAN and Sigfox device ids as telecollect keys them: "urn:lo:nsid:lora:"
// prefix removed, dashes and colons removed, upper-case ("00-80-00-0a" → "0080000A").
std::string NormalizeDeviceId(std::string_view raw);

}  // namespace telecollect::push
