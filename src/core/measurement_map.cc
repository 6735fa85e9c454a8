#include "core/measurement_map.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <toml++/toml.h>

#include "core/ascii.h"

namespace telecollect {
namespace {

std::string NormalName(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s);
  AsciiLowerInPlace(out);
  return out;
}

bool Matches(std::string_view pattern, std::string_view name) {
  if (!pattern.empty() && pattern.back() == '*') return name.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == name;
}

bool AnyMatches(const std::vector<std::string>& patterns, std::string_view name) {
  for (const auto& p : patterns) {
    if (Matches(p, name)) return true;
  }
  return false;
}

// Reads one map table, each error with the origin, the line and the key.
class MapReader {
 public:
  MapReader(const std::string& origin, const std::string& prefix) : origin_(origin), prefix_(prefix) {}

  Status Error(const toml::node& at, const std::string& key, const std::string& what) const {
    const std::string line = std::to_string(at.source().begin.line);
    // Without an origin (a table inside a file the caller names): "line N".
    return Status::InvalidArgument((origin_.empty() ? "line " + line : origin_ + ":" + line) + ": " + Key(key) + " " + what);
  }
  std::string Key(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }

  Status Patterns(const toml::node& n, const std::string& key, std::vector<std::string>& out) const {
    const toml::array* arr = n.as_array();
    if (!arr) return Error(n, key, "must be an array of names");
    for (const auto& e : *arr) {
      if (!e.is_string()) return Error(e, key, "must be an array of names");
      std::string p = *e.value<std::string>();
      if (p.empty() || p == "*") return Error(e, key, "has an empty name (\"name\" or \"prefix*\")");
      if (p.find('*') != p.size() - 1 && p.find('*') != std::string::npos) {
        return Error(e, key, "\"" + p + "\": '*' may only end a name (a prefix)");
      }
      out.push_back(std::move(p));
    }
    return Status::Ok();
  }

  static bool ValidName(std::string_view s) {
    if (s.empty() || s.size() > 200) return false;
    for (unsigned char c : s) {
      if (c <= 0x20 || c == 0x7f) return false;
    }
    return true;
  }

  Status Number(const toml::node& n, const std::string& key, double& out) const {
    if (!n.is_number()) return Error(n, key, "must be a number");
    out = *n.value<double>();
    if (!std::isfinite(out)) return Error(n, key, "must be a finite number");
    return Status::Ok();
  }

  Status Rule(const std::string& field, const toml::node& n, MeasurementMap::Rule& rule) const {
    const std::string key = "field." + Quoted(field);
    const toml::table* t = n.as_table();
    if (!t) return Error(n, key, "must be a table (name, unit, scale, offset)");
    if (field.empty()) return Error(n, key, "names no measurement");
    for (const auto& [k, v] : *t) {
      const std::string sub = key + "." + std::string(k.str());
      if (k == "name") {
        if (!v.is_string()) return Error(v, sub, "must be a string");
        rule.name = *v.value<std::string>();
        if (!ValidName(rule.name)) return Error(v, sub, "must be 1 to 200 characters without spaces or control characters");
      } else if (k == "unit") {
        if (!v.is_string()) return Error(v, sub, "must be a string");
        rule.unit = *v.value<std::string>();
        if (rule.unit->size() > 64) return Error(v, sub, "is longer than 64 characters");
      } else if (k == "scale") {
        TC_RETURN_IF_ERROR(Number(v, sub, rule.scale));
        if (rule.scale == 0) return Error(v, sub, "must not be 0 (to leave a measurement out, use exclude)");
      } else if (k == "offset") {
        TC_RETURN_IF_ERROR(Number(v, sub, rule.offset));
      } else {
        return Error(v, sub, "is not a key of a field rule (name, unit, scale, offset)");
      }
    }
    return Status::Ok();
  }

  static std::string Quoted(const std::string& field) {
    for (char c : field) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return "\"" + field + "\"";
    }
    return field;
  }

  Status Read(const toml::table& table, bool file, MeasurementMap& m) const {
    for (const auto& [k, v] : table) {
      const std::string key(k.str());
      if (file && k == "map") {
        if (!v.is_string()) return Error(v, key, "must be a string (the map's name: a device type, or the name connectors give)");
        m.name = NormalName(*v.value<std::string>());
        if (!ValidName(m.name)) return Error(v, key, "must be a name without spaces");
        if (m.name.starts_with("map:")) return Error(v, key, "is the name alone, without \"map:\"");
      } else if (file && k == "version") {
        if (!v.is_string()) return Error(v, key, "must be a string");
        m.version = *v.value<std::string>();
        if (!ValidName(m.version)) return Error(v, key, "must be 1 to 200 characters without spaces");
      } else if (k == "description") {
        if (!v.is_string()) return Error(v, key, "must be a string");
      } else if (k == "keep_only") {
        TC_RETURN_IF_ERROR(Patterns(v, key, m.keep_only));
        if (m.keep_only.empty()) return Error(v, key, "is empty: it would keep nothing (leave it out to keep every name)");
      } else if (k == "exclude") {
        TC_RETURN_IF_ERROR(Patterns(v, key, m.exclude));
      } else if (k == "field") {
        const toml::table* fields = v.as_table();
        if (!fields) return Error(v, key, "must be a table of [field.NAME] rules");
        for (const auto& [fk, fv] : *fields) {
          MeasurementMap::Rule rule;
          TC_RETURN_IF_ERROR(Rule(std::string(fk.str()), fv, rule));
          m.fields.emplace(std::string(fk.str()), std::move(rule));
        }
      } else {
        return Error(v, key, std::string("is not a map key (") + (file ? "map, version, " : "") +
                                 "description, keep_only, exclude, field)");
      }
    }
    // Two rules giving the same new name would write one series twice per value.
    std::map<std::string, std::string, std::less<>> targets;
    for (const auto& [from, rule] : m.fields) {
      const std::string& to = rule.name.empty() ? from : rule.name;
      auto [it, fresh] = targets.emplace(to, from);
      if (!fresh) {
        return Status::InvalidArgument((origin_.empty() ? "" : origin_ + ": ") + Key("field." + Quoted(it->second)) + " and " +
                                       Key("field." + Quoted(from)) + " both become \"" + to + "\"");
      }
    }
    if (file && m.name.empty()) {
      return Status::InvalidArgument(origin_ + ":1: map is missing: a map file names itself with map = \"NAME\" "
                                     "(the device type it applies to, or the name a connector gives)");
    }
    return Status::Ok();
  }

 private:
  const std::string& origin_;
  const std::string& prefix_;
};

}  // namespace

bool MeasurementMap::Keeps(std::string_view n) const {
  if (!keep_only.empty() && !AnyMatches(keep_only, n)) return false;
  return !AnyMatches(exclude, n);
}

const MeasurementMap::Rule* MeasurementMap::Find(std::string_view n) const {
  auto it = fields.find(n);
  return it == fields.end() ? nullptr : &it->second;
}

double MeasurementMap::Scaled(const Rule& rule, double value) {
  if (rule.scale == 1 && rule.offset == 0) return value;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", value * rule.scale + rule.offset);
  return std::strtod(buf, nullptr);
}

bool MeasurementMap::Apply(std::string& n, double& value, std::string& unit) const {
  if (!Keeps(n)) return false;
  const Rule* rule = Find(n);
  if (!rule) return true;
  value = Scaled(*rule, value);
  if (rule->unit) unit = *rule->unit;
  if (!rule->name.empty()) n = rule->name;
  return true;
}

Result<MeasurementMap> ParseMeasurementMap(const std::string& toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(origin + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  MeasurementMap m;
  m.origin = origin;
  TC_RETURN_IF_ERROR(MapReader(origin, "").Read(root, true, m));
  return m;
}

Result<MeasurementMap> ReadMeasurementMapTable(const toml::table& table, const std::string& origin,
                                               const std::string& prefix) {
  MeasurementMap m;
  m.origin = origin;
  TC_RETURN_IF_ERROR(MapReader(origin, prefix).Read(table, false, m));
  return m;
}

bool LooksLikeMeasurementMap(const std::string& toml_text) {
  try {
    toml::table root = toml::parse(toml_text);
    const toml::node* n = root.get("map");
    return n && n->is_string();
  } catch (const toml::parse_error&) {
    return false;
  }
}

}  // namespace telecollect
