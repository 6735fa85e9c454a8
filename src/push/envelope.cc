#include "push/envelope.h"

#include <array>

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
    if (AsciiEqualsIgnoreCase(e->source(), source)) return e;
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
  *ndjson = AsciiEqualsIgnoreCase(mt, "application/x-ndjson") || AsciiEqualsIgnoreCase(mt, "application/ndjson") ||
            AsciiEqualsIgnoreCase(mt, "application/jsonl") || AsciiEqualsIgnoreCase(mt, "application/x-jsonlines");
  return mt.empty() || *ndjson || AsciiEqualsIgnoreCase(mt, "application/json") || AsciiEqualsIgnoreCase(mt, "text/json") ||
         AsciiEqualsIgnoreCase(mt, "text/plain");
}

}  // namespace telecollect::push
