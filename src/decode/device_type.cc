#include "decode/device_type.h"

#include <cmath>

#include "decode/vocabulary.h"

namespace telecollect::decode {
namespace {

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

bool Close(double a, double b) {
  const double diff = std::fabs(a - b);
  return diff <= 1e-9 || diff <= 1e-6 * std::max(std::fabs(a), std::fabs(b));
}

std::string Describe(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

}  // namespace

std::string ExpandModuleTemplate(std::string_view tmpl, std::string_view device_id, std::string_view device_type,
                                 std::string_view field) {
  if (tmpl == "{deviceid}.{field}") {  // the common case, without scanning
    std::string out;
    out.reserve(device_id.size() + 1 + field.size());
    out.append(device_id).append(".").append(field);
    return out;
  }
  std::string out(tmpl);
  ReplaceAll(out, "{deviceid}", device_id);
  ReplaceAll(out, "{devicetype}", device_type);
  ReplaceAll(out, "{field}", field);
  return out;
}

std::string DeviceType::ModuleId(std::string_view device_id, std::string_view field) const {
  return ExpandModuleTemplate(module_template, device_id, name, field);
}

void DeviceType::DropIdentifiers(std::vector<DecodedValue>& values) const {
  if (keep_identifiers) return;
  std::erase_if(values, [](const DecodedValue& v) { return v.identifier; });
}

void DeviceType::Shape(std::vector<DecodedValue>& values) const {
  DropIdentifiers(values);
  if (vocabulary_names) AddVocabularyNames(NativeFamily(name), values);
}

Status RunTestVectors(const DeviceType& type) {
  std::string failures;
  int failed = 0;
  for (size_t i = 0; i < type.tests.size(); ++i) {
    const TestVector& tv = type.tests[i];
    auto got = type.decoder->Decode({tv.payload, tv.fport, 0});
    if (got.ok()) type.DropIdentifiers(*got);
    std::string why;
    if (!tv.expect_error.empty()) {
      if (got.ok()) why = "expected an error containing \"" + tv.expect_error + "\", decoding succeeded";
      else if (got.status().message().find(tv.expect_error) == std::string::npos)
        why = "expected an error containing \"" + tv.expect_error + "\", got \"" + got.status().message() + "\"";
    } else if (!got.ok()) {
      why = "decoding failed: " + got.status().message();
    } else {
      std::map<std::string, double> seen;
      for (const auto& v : *got) seen[v.field] = v.value;
      for (const auto& [field, want] : tv.expect) {
        auto it = seen.find(field);
        if (it == seen.end()) {
          why += " missing " + field + ";";
        } else if (tv.tolerance ? !(std::fabs(it->second - want) <= *tv.tolerance) : !Close(it->second, want)) {
          why += " " + field + " = " + Describe(it->second) + ", want " + Describe(want) +
                 (tv.tolerance ? " ± " + Describe(*tv.tolerance) : "") + ";";
        }
      }
      for (const auto& [field, value] : seen) {
        if (!tv.subset && !tv.expect.count(field)) why += " unexpected " + field + " = " + Describe(value) + ";";
      }
    }
    if (!why.empty()) {
      ++failed;
      failures += "\n  test[" + std::to_string(i) + "]" + (tv.description.empty() ? "" : " \"" + tv.description + "\"") +
                  " payload " + EncodeHex(tv.payload) + ": " + why;
    }
  }
  if (failed) {
    return Status::InvalidArgument(type.origin + ": " + std::to_string(failed) + " of " +
                                   std::to_string(type.tests.size()) + " test vectors fail" + failures);
  }
  return Status::Ok();
}

}  // namespace telecollect::decode
