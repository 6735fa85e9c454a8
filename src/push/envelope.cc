#include "push/envelope.h"

#include <algorithm>
#include <array>

#include "core/mutex.h"

#include "core/ascii.h"
#include "push/generic_sensors.h"
#include "push/platform_envelope.h"

namespace telecollect::push {
namespace {

const GenericSensorsEnvelope kGeneric;
const TtnEnvelope kTtn;
const ChirpstackEnvelope kChirpstack;
const SigfoxEnvelope kSigfox;
const LiveObjectsEnvelope kLiveObjects;
const ObjeniousEnvelope kObjenious;
const ThingparkEnvelope kThingpark;
const LoriotEnvelope kLoriot;
const KerlinkEnvelope kKerlink;
const MultitechEnvelope kMultitech;
const Envelope* const kEnvelopes[] = {&kGeneric,   &kTtn,       &kChirpstack, &kSigfox,    &kLiveObjects,
                                      &kObjenious, &kThingpark, &kLoriot,     &kKerlink,   &kMultitech};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

using EnvelopeList = std::vector<std::shared_ptr<const Envelope>>;

using ScopedList = std::vector<ScopedEnvelope>;

struct Configured {
  Mutex mutex;
  std::shared_ptr<const EnvelopeList> list TC_GUARDED_BY(mutex) = std::make_shared<EnvelopeList>();
  std::shared_ptr<const ScopedList> scoped TC_GUARDED_BY(mutex) = std::make_shared<ScopedList>();
};

Configured& ConfiguredSet() {
  static Configured* const set = new Configured;  // never destroyed: lookups may run during exit
  return *set;
}

std::shared_ptr<const EnvelopeList> ConfiguredSnapshot() {
  Configured& c = ConfiguredSet();
  MutexLock lock(c.mutex);
  return c.list;
}

std::shared_ptr<const ScopedList> ScopedSnapshot() {
  Configured& c = ConfiguredSet();
  MutexLock lock(c.mutex);
  return c.scoped;
}

const Envelope* FindBuiltin(std::string_view source) {
  for (const Envelope* e : kEnvelopes) {
    if (AsciiEqualsIgnoreCase(e->source(), source)) return e;
  }
  return nullptr;
}

}  // namespace

bool Envelope::Accepts(std::string_view content_type) const {
  bool ndjson = false;
  return IsJsonMediaType(content_type, &ndjson);
}

std::string ItemError::ToString() const {
  // item 3, field "payload": hex payload has an odd number of digits (3)
  std::string s;
  if (index) s += "item " + std::to_string(*index);
  if (!field.empty()) s += std::string(index ? ", " : "") + "field \"" + field + "\"";
  return s.empty() ? reason : s + ": " + reason;
}

std::shared_ptr<const Envelope> FindEnvelope(std::string_view source) {
  source = Trim(source);
  // Built-ins are static: a shared_ptr that owns nothing.
  if (const Envelope* e = FindBuiltin(source)) return std::shared_ptr<const Envelope>(std::shared_ptr<void>(), e);
  std::shared_ptr<const EnvelopeList> configured = ConfiguredSnapshot();
  for (const auto& e : *configured) {
    if (AsciiEqualsIgnoreCase(e->source(), source)) return e;
  }
  return nullptr;
}

std::shared_ptr<const Envelope> FindEnvelope(const Scope& scope, std::string_view source) {
  const std::string_view name = Trim(source);
  if (const Envelope* e = FindBuiltin(name)) return std::shared_ptr<const Envelope>(std::shared_ptr<void>(), e);
  std::shared_ptr<const ScopedList> scoped = ScopedSnapshot();
  for (const ScopedEnvelope& s : *scoped) {
    if (s.scope == scope && AsciiEqualsIgnoreCase(s.envelope->source(), name)) return s.envelope;
  }
  return FindEnvelope(name);
}

std::vector<std::string> KnownSources(const Scope& scope) {
  std::vector<std::string> out = KnownSources();
  for (const ScopedEnvelope& s : *ScopedSnapshot()) {
    if (s.scope == scope && std::find(out.begin(), out.end(), s.envelope->source()) == out.end()) {
      out.emplace_back(s.envelope->source());
    }
  }
  return out;
}

bool IsBuiltinSource(std::string_view source) { return FindBuiltin(Trim(source)) != nullptr; }

std::vector<std::string> KnownSources() {
  std::vector<std::string> out;
  for (const Envelope* e : kEnvelopes) out.emplace_back(e->source());
  for (const auto& e : *ConfiguredSnapshot()) out.emplace_back(e->source());
  return out;
}

void SetConfiguredEnvelopes(std::vector<std::shared_ptr<const Envelope>> envelopes) {
  auto list = std::make_shared<EnvelopeList>();
  for (auto& e : envelopes) {
    if (e && !IsBuiltinSource(e->source())) list->push_back(std::move(e));
  }
  Configured& c = ConfiguredSet();
  MutexLock lock(c.mutex);
  c.list = std::move(list);
}

void SetScopedEnvelopes(std::vector<ScopedEnvelope> envelopes) {
  auto list = std::make_shared<ScopedList>();
  for (auto& e : envelopes) {
    if (e.envelope && !IsBuiltinSource(e.envelope->source())) list->push_back(std::move(e));
  }
  Configured& c = ConfiguredSet();
  MutexLock lock(c.mutex);
  c.scoped = std::move(list);
}

bool IsJsonMediaType(std::string_view content_type, bool* ndjson) {
  std::string_view mt = Trim(content_type.substr(0, content_type.find(';')));
  *ndjson = AsciiEqualsIgnoreCase(mt, "application/x-ndjson") || AsciiEqualsIgnoreCase(mt, "application/ndjson") ||
            AsciiEqualsIgnoreCase(mt, "application/jsonl") || AsciiEqualsIgnoreCase(mt, "application/x-jsonlines");
  return mt.empty() || *ndjson || AsciiEqualsIgnoreCase(mt, "application/json") || AsciiEqualsIgnoreCase(mt, "text/json") ||
         AsciiEqualsIgnoreCase(mt, "text/plain");
}

}  // namespace telecollect::push
