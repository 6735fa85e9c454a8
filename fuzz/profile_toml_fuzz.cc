// The profile TOML a client posts to POST /v1/files/validate (and a connector's profile file):
// files::LoadProfileString on any text. A refusal has a message; an accepted profile written
// back (ProfileToToml, what the API answers as "profile") loads again, to the same profile:
// the same TOML once more, and the same fields the reader uses.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "files/profile.h"

namespace {

bool SameRefs(const std::vector<telecollect::files::FieldRef>& a, const std::vector<telecollect::files::FieldRef>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].index != b[i].index) return false;
  }
  return true;
}

bool SameRef(const telecollect::files::FieldRef& a, const telecollect::files::FieldRef& b) {
  return a.name == b.name && a.index == b.index;
}

// The same bound, a NaN included (compared as bits).
bool SameBound(const std::optional<double>& a, const std::optional<double>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || std::memcmp(&*a, &*b, sizeof(double)) == 0 || *a == *b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect;
  using namespace telecollect::files;
  if (size > 4096) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Result<Profile> p = LoadProfileString(text, "profile");
  if (!p.ok()) {
    if (p.status().message().empty()) __builtin_trap();
    return 0;
  }
  const std::string toml = ProfileToToml(*p);
  Result<Profile> q = LoadProfileString(toml, "profile");
  if (!q.ok()) __builtin_trap();  // what the API proposes must load
  if (ProfileToToml(*q) != toml) __builtin_trap();
  const Profile& a = *p;
  const Profile& b = *q;
  if (a.format != b.format || a.layout != b.layout || a.encoding != b.encoding || a.delimiter != b.delimiter || a.number.decimal != b.number.decimal ||
      a.number.thousands != b.number.thousands ||
      a.quote != b.quote || a.skip_rows != b.skip_rows || a.header != b.header || a.units_row != b.units_row ||
      a.timestamp_format != b.timestamp_format || a.timezone != b.timezone || a.interval_ms != b.interval_ms ||
      a.end_stamped != b.end_stamped || a.shift_to_start != b.shift_to_start || a.unit != b.unit ||
      a.module_prefix != b.module_prefix || a.skip_bad_rows != b.skip_bad_rows || a.empty_is_error != b.empty_is_error ||
      !SameBound(a.min_value, b.min_value) || !SameBound(a.max_value, b.max_value) || a.records != b.records ||
      a.xml_namespaces != b.xml_namespaces || !SameRef(a.module, b.module) || !SameRefs(a.timestamp, b.timestamp) ||
      !SameRef(a.value, b.value) || !SameRef(a.unit_field, b.unit_field) || !SameRef(a.interval_field, b.interval_field) ||
      !SameRefs(a.columns, b.columns) || a.exclude != b.exclude || a.module_name != b.module_name) {
    __builtin_trap();
  }
  return 0;
}
