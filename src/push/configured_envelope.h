#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "push/envelope.h"

namespace telecollect::push {

// A JSON path as envelope files write it: dot-separated keys with array
// indices ("uplink.gws[0].rssi"). A leading "$." reads from the body item that
// holds the frame array (`frames`) instead of the frame itself.
struct JsonPath {
  struct Step {
    std::string key;            // empty for an index step
    size_t index = 0;
  };
  std::string text;
  bool from_body = false;
  std::vector<Step> steps;
  static Result<JsonPath> Parse(std::string_view text);
};

enum class PayloadEncoding { kHex, kBase64, kJson };

// What the platform posts: JSON (an object, an array, NDJSON), form fields
// (application/x-www-form-urlencoded), or XML; the paths read the last two as
// the JSON documents envelope_body.h makes of them.
enum class BodyFormat { kJson, kForm, kXml };

// A platform's webhook body described in TOML (docs/push.md, "Envelopes as
// configuration"), parsed into frames like the built-in envelopes.
struct EnvelopeSpec {
  std::string name, description, origin;
  std::string version;  // required for an upload (envelope_catalog.h); optional in a decoder directory
  BodyFormat body = BodyFormat::kJson;
  std::optional<JsonPath> frames;  // the array of frames in each body item; none: the item is the frame
  JsonPath device_id;
  bool normalize_device_id = true;
  std::optional<JsonPath> time;  // none: the received time
  std::string time_format = "iso8601";
  std::string time_zone = "UTC";
  JsonPath payload;
  PayloadEncoding payload_encoding = PayloadEncoding::kHex;
  std::optional<JsonPath> fport;
  std::optional<JsonPath> device_type_path;
  std::string device_type;                             // constant, or the fallback of device_type_map
  std::map<std::string, std::string> device_type_map;  // value at device_type_path → device type
  std::vector<JsonPath> metadata;
  std::optional<JsonPath> uplink_path;  // with uplink_values: only those items are frames, others ignored
  std::vector<std::string> uplink_values;
};

// Where an envelope file is refused: its line (0 when the key is missing) and key ("" for TOML syntax).
struct EnvelopeSpecError {
  int line = 0;
  std::string key;
};

// Parses an envelope TOML. Errors are "<origin>: line N: <key>: <reason>";
// an unknown key is refused with its line. `where`, when given, is set to the
// line and key of a refusal.
Result<std::shared_ptr<const Envelope>> LoadEnvelopeSpec(const std::string& toml_text, const std::string& origin,
                                                         EnvelopeSpecError* where = nullptr);

// What loading the envelope directories found.
struct EnvelopeLoadReport {
  std::vector<std::string> active;                            // "name (file)"
  std::vector<std::pair<std::string, std::string>> rejected;  // (file, reason)
};

// Reads every *.toml of `<dir>/envelopes/` for each decoder directory (a later
// directory overrides an earlier one's envelope of the same name). A name that
// is a built-in source is refused. Does not register them.
EnvelopeLoadReport LoadEnvelopeDirectories(const std::vector<std::string>& decoder_dirs,
                                           std::vector<std::shared_ptr<const Envelope>>* out);

// Loads the directories and registers what they hold (SetConfiguredEnvelopes).
EnvelopeLoadReport ReloadConfiguredEnvelopes(const std::vector<std::string>& decoder_dirs);

}  // namespace telecollect::push
