#include "push/envelope.h"

#include <array>

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

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

std::string ItemError::ToString() const {
  // item 3, field "payload": hex payload has an odd number of digits (3)
  std::string s;
  if (index) s += "item " + std::to_string(*index);
  if (!field.empty()) s += std::string(index ? ", " : "") + "field \"" + field + "\"";
  return s.empty() ? reason : s + ": " + reason;
}

const Envelope* FindEnvelope(std::string_view source) {
  source = Trim(source);
  for (const Envelope* e : kEnvelopes) {
    if (EqualsIgnoreCase(e->source(), source)) return e;
  }
  return nullptr;
}

std::vector<std::string_view> KnownSources() {
  std::vector<std::string_view> out;
  for (const Envelope* e : kEnvelopes) out.push_back(e->source());
  return out;
}

bool IsJsonMediaType(std::string_view content_type, bool* ndjson) {
  std::string_view mt = Trim(content_type.substr(0, content_type.find(';')));
  *ndjson = EqualsIgnoreCase(mt, "application/x-ndjson") || EqualsIgnoreCase(mt, "application/ndjson") ||
            EqualsIgnoreCase(mt, "application/jsonl") || EqualsIgnoreCase(mt, "application/x-jsonlines");
  return mt.empty() || *ndjson || EqualsIgnoreCase(mt, "application/json") || EqualsIgnoreCase(mt, "text/json") ||
         EqualsIgnoreCase(mt, "text/plain");
}

}  // namespace telecollect::push
