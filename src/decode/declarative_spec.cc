// Loader for declarative decoder specs: TOML → DeviceType. Format in docs/decoders.md.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <set>
#include <toml++/toml.h>

#include "decode/declarative_decoder.h"
#include "decode/device_type.h"

namespace telecollect::decode {
namespace {

using Type = DeclarativeDecoder::Type;

Result<Type> ParseType(std::string_view s) {
  static const std::pair<const char*, Type> kTypes[] = {
      {"u8", Type::kU8},   {"i8", Type::kI8},   {"u16", Type::kU16}, {"i16", Type::kI16},
      {"u24", Type::kU24}, {"i24", Type::kI24}, {"u32", Type::kU32}, {"i32", Type::kI32},
      {"u64", Type::kU64}, {"i64", Type::kI64}, {"f32", Type::kF32}, {"f64", Type::kF64}};
  for (const auto& [name, t] : kTypes) {
    if (s == name) return t;
  }
  return Status::InvalidArgument("type \"" + std::string(s) + "\" is not one of u8 i8 u16 i16 u24 i24 u32 i32 u64 i64 f32 f64");
}

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

// Checks that a table only has keys from `allowed`.
Status OnlyKeys(const toml::table& t, std::initializer_list<std::string_view> allowed, const std::string& where) {
  for (const auto& [k, v] : t) {
    bool ok = false;
    for (auto a : allowed) ok |= (k.str() == a);
    if (!ok) {
      return Status::InvalidArgument(where + ": unknown key \"" + std::string(k.str()) + "\" (line " +
                                     std::to_string(v.source().begin.line) + ")");
    }
  }
  return Status::Ok();
}

Result<int64_t> GetInt(const toml::table& t, std::string_view key, const std::string& where, int64_t min, int64_t max) {
  const toml::node* n = t.get(key);
  if (!n || !n->is_integer()) return Status::InvalidArgument(where + ": \"" + std::string(key) + "\" must be an integer");
  const int64_t v = *n->value<int64_t>();
  if (v < min || v > max) {
    return Status::InvalidArgument(where + ": \"" + std::string(key) + "\" must be in [" + std::to_string(min) + ", " +
                                   std::to_string(max) + "], got " + std::to_string(v));
  }
  return v;
}

Result<double> GetNumber(const toml::table& t, std::string_view key, const std::string& where, double dflt) {
  const toml::node* n = t.get(key);
  if (!n) return dflt;
  if (n->is_integer()) return static_cast<double>(*n->value<int64_t>());
  if (n->is_floating_point()) {
    const double d = *n->value<double>();
    if (std::isfinite(d)) return d;
  }
  return Status::InvalidArgument(where + ": \"" + std::string(key) + "\" must be a finite number");
}

std::string GetString(const toml::table& t, std::string_view key, std::string dflt = "") {
  const toml::node* n = t.get(key);
  return n && n->is_string() ? *n->value<std::string>() : dflt;
}

Status CheckString(const toml::table& t, std::string_view key, const std::string& where) {
  const toml::node* n = t.get(key);
  if (n && !n->is_string()) return Status::InvalidArgument(where + ": \"" + std::string(key) + "\" must be a string");
  return Status::Ok();
}

Result<std::vector<int>> GetFports(const toml::table& t, const std::string& where) {
  std::vector<int> out;
  const toml::node* n = t.get("fport");
  if (!n) return out;
  auto one = [&](const toml::node& e) -> Status {
    if (!e.is_integer() || *e.value<int64_t>() < 0 || *e.value<int64_t>() > 255) {
      return Status::InvalidArgument(where + ": \"fport\" must be an integer 0..255 or an array of them");
    }
    out.push_back(static_cast<int>(*e.value<int64_t>()));
    return Status::Ok();
  };
  if (const toml::array* arr = n->as_array()) {
    for (const auto& e : *arr) TC_RETURN_IF_ERROR(one(e));
  } else {
    TC_RETURN_IF_ERROR(one(*n));
  }
  return out;
}

Result<DeclarativeDecoder::Field> ParseField(const toml::table& t, const std::string& where) {
  TC_RETURN_IF_ERROR(OnlyKeys(t, {"name", "offset", "type", "endian", "bit_offset", "bits", "scale", "add", "unit",
                                  "invalid", "description"}, where));
  DeclarativeDecoder::Field f;
  TC_RETURN_IF_ERROR(CheckString(t, "name", where));
  f.name = GetString(t, "name");
  if (!ValidName(f.name)) return Status::InvalidArgument(where + ": \"name\" must be 1-64 characters of [A-Za-z0-9_-]");
  const std::string w = where + " (\"" + f.name + "\")";
  TC_ASSIGN_OR_RETURN(int64_t offset, GetInt(t, "offset", w, 0, 255));
  f.offset = static_cast<size_t>(offset);
  TC_RETURN_IF_ERROR(CheckString(t, "type", w));
  auto type = ParseType(GetString(t, "type"));
  if (!type.ok()) return type.status().WithContext(w);
  f.type = *type;
  TC_RETURN_IF_ERROR(CheckString(t, "endian", w));
  const std::string endian = GetString(t, "endian", "big");
  if (endian != "big" && endian != "little") return Status::InvalidArgument(w + ": \"endian\" must be \"big\" or \"little\"");
  f.little_endian = endian == "little";
  const int width_bits = static_cast<int>(DeclarativeDecoder::TypeWidth(f.type) * 8);
  const bool is_float = f.type == Type::kF32 || f.type == Type::kF64;
  if (t.get("bits") || t.get("bit_offset")) {
    if (is_float) return Status::InvalidArgument(w + ": bit fields are for integer types only");
    if (t.get("bits")) {
      TC_ASSIGN_OR_RETURN(int64_t bits, GetInt(t, "bits", w, 1, width_bits));
      f.bits = static_cast<int>(bits);
    }
    if (t.get("bit_offset")) {
      TC_ASSIGN_OR_RETURN(int64_t bo, GetInt(t, "bit_offset", w, 0, width_bits - 1));
      f.bit_offset = static_cast<int>(bo);
    }
    const int bits = f.bits ? f.bits : width_bits - f.bit_offset;
    f.bits = bits;
    if (f.bit_offset + bits > width_bits) {
      return Status::InvalidArgument(w + ": bit_offset + bits exceeds the " + std::to_string(width_bits) + "-bit type");
    }
  }
  TC_ASSIGN_OR_RETURN(f.scale, GetNumber(t, "scale", w, 1));
  if (f.scale != 0 && std::fabs(f.scale) < 1) {
    const double inverse = std::round(1.0 / f.scale);
    if (std::fabs(inverse * f.scale - 1.0) < 1e-12) f.divisor = inverse;
  }
  TC_ASSIGN_OR_RETURN(f.add, GetNumber(t, "add", w, 0));
  TC_RETURN_IF_ERROR(CheckString(t, "unit", w));
  f.unit = GetString(t, "unit");
  if (t.get("invalid")) {
    if (is_float) return Status::InvalidArgument(w + ": \"invalid\" is for integer types only");
    TC_ASSIGN_OR_RETURN(int64_t inv, GetInt(t, "invalid", w, INT64_MIN, INT64_MAX));
    f.invalid = inv;
  }
  return f;
}

Result<DeclarativeDecoder::Variant> ParseVariant(const toml::table& t, const std::string& where, size_t index) {
  TC_RETURN_IF_ERROR(OnlyKeys(t, {"name", "fport", "first_byte", "match", "min_length", "field", "description"}, where));
  DeclarativeDecoder::Variant v;
  TC_RETURN_IF_ERROR(CheckString(t, "name", where));
  v.name = GetString(t, "name", "variant " + std::to_string(index));
  TC_ASSIGN_OR_RETURN(v.fports, GetFports(t, where));
  if (t.get("first_byte")) {
    TC_ASSIGN_OR_RETURN(int64_t fb, GetInt(t, "first_byte", where, 0, 255));
    v.match.push_back({0, static_cast<uint8_t>(fb), 0xFF});
  }
  if (const toml::node* m = t.get("match")) {
    const toml::array* arr = m->as_array();
    if (!arr) return Status::InvalidArgument(where + ": \"match\" must be an array of {offset, value[, mask]} tables");
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::table* mt = (*arr)[i].as_table();
      const std::string mw = where + " match[" + std::to_string(i) + "]";
      if (!mt) return Status::InvalidArgument(mw + ": must be a table {offset, value[, mask]}");
      TC_RETURN_IF_ERROR(OnlyKeys(*mt, {"offset", "value", "mask"}, mw));
      DeclarativeDecoder::ByteMatch bm;
      TC_ASSIGN_OR_RETURN(int64_t off, GetInt(*mt, "offset", mw, 0, 255));
      TC_ASSIGN_OR_RETURN(int64_t val, GetInt(*mt, "value", mw, 0, 255));
      bm.offset = static_cast<size_t>(off);
      bm.value = static_cast<uint8_t>(val);
      if (mt->get("mask")) {
        TC_ASSIGN_OR_RETURN(int64_t mask, GetInt(*mt, "mask", mw, 0, 255));
        bm.mask = static_cast<uint8_t>(mask);
      }
      if ((bm.value & bm.mask) != bm.value) return Status::InvalidArgument(mw + ": value has bits outside mask");
      v.match.push_back(bm);
    }
  }
  size_t needed = 0;
  for (const auto& m : v.match) needed = std::max(needed, m.offset + 1);
  if (const toml::node* fs = t.get("field")) {
    const toml::array* arr = fs->as_array();
    if (!arr) return Status::InvalidArgument(where + ": \"field\" must be an array of tables ([[variant.field]])");
    std::set<std::string> names;
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::table* ft = (*arr)[i].as_table();
      const std::string fw = where + " field[" + std::to_string(i) + "]";
      if (!ft) return Status::InvalidArgument(fw + ": must be a table");
      TC_ASSIGN_OR_RETURN(DeclarativeDecoder::Field f, ParseField(*ft, fw));
      if (!names.insert(f.name).second) return Status::InvalidArgument(fw + ": duplicate field name \"" + f.name + "\"");
      needed = std::max(needed, f.offset + DeclarativeDecoder::TypeWidth(f.type));
      v.fields.push_back(std::move(f));
    }
  }
  if (t.get("min_length")) {
    TC_ASSIGN_OR_RETURN(int64_t ml, GetInt(t, "min_length", where, 0, 255));
    v.min_length = static_cast<size_t>(ml);
  }
  v.min_length = std::max(v.min_length, needed);
  return v;
}

Result<TestVector> ParseTest(const toml::table& t, const std::string& where) {
  TC_RETURN_IF_ERROR(OnlyKeys(t, {"fport", "payload", "expect", "expect_error", "description", "subset", "tolerance"}, where));
  TestVector tv;
  TC_RETURN_IF_ERROR(CheckString(t, "description", where));
  tv.description = GetString(t, "description");
  if (const toml::node* n = t.get("subset")) {
    if (!n->is_boolean()) return Status::InvalidArgument(where + ": \"subset\" must be true or false");
    tv.subset = *n->value<bool>();
  }
  if (t.get("tolerance")) {
    TC_ASSIGN_OR_RETURN(double tol, GetNumber(t, "tolerance", where, 0));
    if (!(tol >= 0) || !std::isfinite(tol)) return Status::InvalidArgument(where + ": \"tolerance\" must be a number >= 0");
    tv.tolerance = tol;
  }
  TC_ASSIGN_OR_RETURN(std::vector<int> fports, GetFports(t, where));
  if (fports.size() > 1) return Status::InvalidArgument(where + ": a test has one \"fport\"");
  if (!fports.empty()) tv.fport = fports[0];
  TC_RETURN_IF_ERROR(CheckString(t, "payload", where));
  auto bytes = DecodeHex(GetString(t, "payload"));
  if (!bytes.ok()) return bytes.status().WithContext(where + " payload");
  tv.payload = std::move(bytes).value();
  TC_RETURN_IF_ERROR(CheckString(t, "expect_error", where));
  tv.expect_error = GetString(t, "expect_error");
  if (const toml::node* e = t.get("expect")) {
    const toml::table* et = e->as_table();
    if (!et) return Status::InvalidArgument(where + ": \"expect\" must be a table of field = number");
    for (const auto& [k, v] : *et) {
      TC_ASSIGN_OR_RETURN(double d, GetNumber(*et, k.str(), where + " expect", 0));
      tv.expect[std::string(k.str())] = d;
    }
  } else if (tv.expect_error.empty()) {
    return Status::InvalidArgument(where + ": needs \"expect\" or \"expect_error\"");
  }
  return tv;
}

Status ParseVariants(const toml::table& root, const std::string& origin, DeviceType& dt);
Status ParseTests(const toml::table& root, const std::string& origin, DeviceType& dt);

Status ParseSpec(const toml::table& root, const std::string& origin, const ScriptFactory& scripts,
                 const std::string* script_text, DeviceType& dt) {
  TC_RETURN_IF_ERROR(OnlyKeys(root, {"devicetype", "description", "vendor", "model", "version", "module", "reference",
                                     "kind", "aliases", "script", "variant", "test", "keep_identifiers"}, origin));
  if (const toml::node* k = root.get("keep_identifiers")) {
    if (!k->is_boolean()) return Status::InvalidArgument(origin + ": \"keep_identifiers\" must be true or false");
    dt.keep_identifiers = *k->value<bool>();
  }
  if (const toml::node* a = root.get("aliases")) {
    const toml::array* arr = a->as_array();
    if (!arr) return Status::InvalidArgument(origin + ": \"aliases\" must be an array of strings");
    for (const auto& e : *arr) {
      if (!e.is_string()) return Status::InvalidArgument(origin + ": \"aliases\" must be an array of strings");
      dt.aliases.push_back(NormalizeDeviceType(*e.value<std::string>()));
    }
  }
  for (auto key : {"devicetype", "description", "vendor", "model", "version", "module", "reference", "kind", "script"}) {
    TC_RETURN_IF_ERROR(CheckString(root, key, origin));
  }
  const std::string kind = GetString(root, "kind", "declarative");
  if (kind != "declarative" && kind != "script") {
    return Status::InvalidArgument(origin + ": \"kind\" must be \"declarative\" or \"script\"");
  }
  dt.name = NormalizeDeviceType(GetString(root, "devicetype"));
  if (dt.name.empty()) return Status::InvalidArgument(origin + ": \"devicetype\" is required");
  if (dt.name.starts_with("map:")) {
    return Status::InvalidArgument(origin + ": \"devicetype\" may not start with \"map:\" (measurement maps are stored under it)");
  }
  dt.description = GetString(root, "description");
  dt.version = GetString(root, "version", "1");
  dt.module_template = GetString(root, "module", "{deviceid}.{field}");
  if (dt.module_template.find("{field}") == std::string::npos) {
    return Status::InvalidArgument(origin + ": \"module\" must contain {field}, or all fields would share one module");
  }
  dt.origin = origin;
  if (kind == "script") {
    if (root.get("variant")) return Status::InvalidArgument(origin + ": a script decoder has no [[variant]]");
    const std::string script = GetString(root, "script");
    if (script.empty()) return Status::InvalidArgument(origin + ": \"script\" (the .js file) is required");
    if (!scripts) return Status::Unsupported(origin + ": script decoders are not available here");
    const std::filesystem::path path = std::filesystem::path(origin).parent_path() / script;
    std::string source;
    if (script_text) {
      if (script_text->empty()) {
        return Status::InvalidArgument(origin + ": a script decoder (script = \"" + script + "\"): send the script with the spec (multipart part \"script\"; " +
                                       "CLI: --script FILE.js, or the file next to the spec)");
      }
      source = *script_text;
    } else {
      std::ifstream in(path, std::ios::binary);
      if (!in) return Status::InvalidArgument(origin + ": cannot read script " + path.string());
      std::ostringstream text;
      text << in.rdbuf();
      source = text.str();
    }
    auto decoder = scripts(source, path.string());
    if (!decoder.ok()) return decoder.status();
    dt.decoder = std::move(decoder).value();
  } else {
    if (script_text && !script_text->empty()) {
      return Status::InvalidArgument(origin + ": a declarative spec (no kind = \"script\") takes no script");
    }
    TC_RETURN_IF_ERROR(ParseVariants(root, origin, dt));
  }
  return ParseTests(root, origin, dt);
}

Status ParseVariants(const toml::table& root, const std::string& origin, DeviceType& dt) {
  const toml::array* variants = root.get("variant") ? root.get("variant")->as_array() : nullptr;
  if (!variants || variants->empty()) {
    return Status::InvalidArgument(origin + ": at least one [[variant]] is required");
  }
  std::vector<DeclarativeDecoder::Variant> parsed;
  for (size_t i = 0; i < variants->size(); ++i) {
    const toml::table* vt = (*variants)[i].as_table();
    const std::string where = origin + ": variant[" + std::to_string(i) + "]";
    if (!vt) return Status::InvalidArgument(where + ": must be a table");
    TC_ASSIGN_OR_RETURN(DeclarativeDecoder::Variant v, ParseVariant(*vt, where, i));
    parsed.push_back(std::move(v));
  }
  dt.decoder = std::make_shared<DeclarativeDecoder>(std::move(parsed));
  return Status::Ok();
}

Status ParseTests(const toml::table& root, const std::string& origin, DeviceType& dt) {
  if (const toml::node* tests = root.get("test")) {
    const toml::array* arr = tests->as_array();
    if (!arr) return Status::InvalidArgument(origin + ": \"test\" must be an array of tables ([[test]])");
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::table* tt = (*arr)[i].as_table();
      const std::string where = origin + ": test[" + std::to_string(i) + "]";
      if (!tt) return Status::InvalidArgument(where + ": must be a table");
      TC_ASSIGN_OR_RETURN(TestVector tv, ParseTest(*tt, where));
      dt.tests.push_back(std::move(tv));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<DeviceType> LoadDeclarativeSpec(const std::string& text, const std::string& origin,
                                       const ScriptFactory& scripts, const std::string* script_text) {
  DeviceType dt;
  try {
    toml::table root = toml::parse(text, origin);
    TC_RETURN_IF_ERROR(ParseSpec(root, origin, scripts, script_text, dt));
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(origin + ":" + std::to_string(e.source().begin.line) + ":" +
                                   std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
  }
  return dt;
}

}  // namespace telecollect::decode
