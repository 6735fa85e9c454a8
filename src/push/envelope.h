#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"

namespace telecollect::push {

// What an envelope parser knows of the HTTP request.
struct PushRequest {
  std::string_view body;
  std::string_view content_type;  // as sent, may be empty
  EpochMs received_at = 0;
  size_t max_items = 10000;
  int64_t max_future_skew_ms = 86400000;
  // The URL beyond /v1/push/{source} (Multitech's /api/lorawan/v1/<app>/up),
  // and the query parameters (ChirpStack's ?event=up).
  std::vector<std::string> subpath;
  std::map<std::string, std::string> query;
};

// Where and why a push body is refused. Nothing of the batch is stored.
struct ItemError {
  std::optional<size_t> index;  // item (0-based) within the batch; none = the body as a whole
  std::string field;            // JSON field at fault, if any
  std::string reason;
  bool too_many_items = false;  // → 413 rather than 400
  std::string ToString() const;
};

struct ParsedFrames {
  std::vector<Frame> frames;
  size_t ignored = 0;  // platform events that are not uplinks (joins, acks, status): answered 200, not stored
  std::optional<ItemError> error;
};

// Turns one platform's webhook body into frames. Stateless, thread-safe.
class Envelope {
 public:
  virtual ~Envelope() = default;
  virtual std::string_view source() const = 0;
  // The version an uploaded envelope was stored under ("" for the others).
  virtual std::string_view version() const { return {}; }
  // Whether it reads bodies of this Content-Type (as sent; may be empty), and
  // which to send instead (a 415's message). Default: JSON (IsJsonMediaType).
  virtual bool Accepts(std::string_view content_type) const;
  virtual std::string_view MediaTypes() const { return "application/json or application/x-ndjson"; }
  virtual ParsedFrames Parse(const PushRequest& request) const = 0;
};

// The envelope registered for a `source` name (built-in or configured), or
// null (→ 404/400 listing the known ones). The pointer keeps a configured
// envelope alive across a reload.
std::shared_ptr<const Envelope> FindEnvelope(std::string_view source);
std::vector<std::string> KnownSources();
bool IsBuiltinSource(std::string_view source);

// As seen by one tenant and env: a built-in envelope, else the scope's
// uploaded envelope (envelope_catalog.h), else one of the decoder directories.
// Another scope's uploaded envelopes are not there.
std::shared_ptr<const Envelope> FindEnvelope(const Scope& scope, std::string_view source);
std::vector<std::string> KnownSources(const Scope& scope);

// Replaces the envelopes loaded from configuration (configured_envelope.h)
// at once. Names that are built-in sources are skipped. Thread-safe.
void SetConfiguredEnvelopes(std::vector<std::shared_ptr<const Envelope>> envelopes);

// Replaces the uploaded envelopes active per scope at once. Thread-safe.
struct ScopedEnvelope {
  Scope scope;
  std::shared_ptr<const Envelope> envelope;
};
void SetScopedEnvelopes(std::vector<ScopedEnvelope> envelopes);

// Media types accepted for JSON bodies: application/json, application/x-ndjson,
// application/ndjson, application/jsonl, text/plain (some gateways), or none.
bool IsJsonMediaType(std::string_view content_type, bool* ndjson);

}  // namespace telecollect::push
