#include "decode/vendor_examples.h"

#include <yaml.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <simdjson.h>
#include <sstream>

#include "decode/flatten.h"
#include "decode/vocabulary.h"

namespace telecollect::decode {
namespace {

// ---- YAML → JSON ------------------------------------------------------------

// Bounds of the conversion: aliases may repeat a node (or nest it in itself),
// so depth, visits and output are capped.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxVisits = 1000000;
constexpr size_t kMaxJson = 16 << 20;

void JsonString(std::string_view s, std::string& out) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

bool AllDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                    : base == 8 ? (c >= '0' && c <= '7')
                                : (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsFloatText(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

void JsonDouble(double d, std::string& out) {
  if (!std::isfinite(d)) {
    out += "null";  // .inf and .nan are no measurements
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  out += buf;
}

// A plain scalar as the YAML 1.2 core schema reads it (as the TTN tools do):
// null, booleans, integers (decimal, 0x, 0o), floats; anything else a string.
void PlainScalar(std::string_view v, std::string& out) {
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") {
    out += "null";
    return;
  }
  if (v == "true" || v == "True" || v == "TRUE") {
    out += "true";
    return;
  }
  if (v == "false" || v == "False" || v == "FALSE") {
    out += "false";
    return;
  }
  std::string_view body = v;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  int base = 10;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'o')) {
    base = body[1] == 'x' ? 16 : 8;
    body.remove_prefix(2);
  }
  if (AllDigits(body, base)) {
    uint64_t u = 0;
    auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), u, base);
    if (ec == std::errc() && end == body.data() + body.size()) {
      if (!negative) {
        out += std::to_string(u);
      } else if (u <= static_cast<uint64_t>(INT64_MAX) + 1) {
        out += u == 0 ? "0" : "-" + std::to_string(u);
      } else {
        JsonDouble(-static_cast<double>(u), out);
      }
      return;
    }
    if (base == 10) {  // too large for 64 bits: a double
      JsonDouble(std::strtod(std::string(v).c_str(), nullptr), out);
      return;
    }
  }
  if (IsFloatText(v)) {
    JsonDouble(std::strtod(std::string(v).c_str(), nullptr), out);
    return;
  }
  std::string_view inf = v;
  if (!inf.empty() && (inf[0] == '+' || inf[0] == '-')) inf.remove_prefix(1);
  if (inf == ".inf" || inf == ".Inf" || inf == ".INF" || v == ".nan" || v == ".NaN" || v == ".NAN") {
    out += "null";
    return;
  }
  JsonString(v, out);
}

class YamlToJson {
 public:
  YamlToJson(yaml_document_t* doc, std::string where) : doc_(doc), where_(std::move(where)) {}

  Status Convert(yaml_node_t* node, int depth, std::string& out) {
    if (!node) return Status::InvalidArgument(where_ + ": a node is missing");
    if (depth > kMaxDepth) return Status::InvalidArgument(where_ + ": nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (++visits_ > kMaxVisits || out.size() > kMaxJson) {
      return Status::InvalidArgument(where_ + ": too large once its aliases are expanded");
    }
    switch (node->type) {
      case YAML_SCALAR_NODE: {
        std::string_view v(reinterpret_cast<const char*>(node->data.scalar.value), node->data.scalar.length);
        if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) PlainScalar(v, out);
        else JsonString(v, out);
        return Status::Ok();
      }
      case YAML_SEQUENCE_NODE: {
        out += '[';
        bool first = true;
        for (yaml_node_item_t* it = node->data.sequence.items.start; it < node->data.sequence.items.top; ++it) {
          if (!first) out += ',';
          first = false;
          TC_RETURN_IF_ERROR(Convert(yaml_document_get_node(doc_, *it), depth + 1, out));
        }
        out += ']';
        return Status::Ok();
      }
      case YAML_MAPPING_NODE: {
        out += '{';
        bool first = true;
        for (yaml_node_pair_t* p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; ++p) {
          yaml_node_t* key = yaml_document_get_node(doc_, p->key);
          if (!key || key->type != YAML_SCALAR_NODE) {
            return Status::InvalidArgument(where_ + ":" + std::to_string(Line(key ? key : node)) +
                                           ": a mapping key must be a plain name");
          }
          if (!first) out += ',';
          first = false;
          JsonString(std::string_view(reinterpret_cast<const char*>(key->data.scalar.value), key->data.scalar.length), out);
          out += ':';
          TC_RETURN_IF_ERROR(Convert(yaml_document_get_node(doc_, p->value), depth + 1, out));
        }
        out += '}';
        return Status::Ok();
      }
      default:
        out += "null";
        return Status::Ok();
    }
  }

  static size_t Line(const yaml_node_t* node) { return node->start_mark.line + 1; }

 private:
  yaml_document_t* doc_;
  const std::string where_;
  size_t visits_ = 0;
};

yaml_node_t* MappingValue(yaml_document_t* doc, yaml_node_t* map, std::string_view key) {
  if (!map || map->type != YAML_MAPPING_NODE) return nullptr;
  for (yaml_node_pair_t* p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; ++p) {
    yaml_node_t* k = yaml_document_get_node(doc, p->key);
    if (k && k->type == YAML_SCALAR_NODE &&
        std::string_view(reinterpret_cast<const char*>(k->data.scalar.value), k->data.scalar.length) == key) {
      return yaml_document_get_node(doc, p->value);
    }
  }
  return nullptr;
}

// ---- one example (JSON) → a test vector ---------------------------------------

Result<int64_t> WholeNumber(simdjson::dom::element e) {
  if (e.is_int64()) return e.get_int64().value();
  if (e.is_uint64()) return Status::InvalidArgument("out of range");
  if (e.is_double()) {
    const double d = e.get_double().value();
    if (d == std::floor(d) && std::fabs(d) < 1e15) return static_cast<int64_t>(d);
  }
  return Status::InvalidArgument("not a whole number");
}

Status ReadBytes(simdjson::dom::element e, const std::string& where, const std::string& key, Bytes& out) {
  if (e.is_string()) {
    auto hex = DecodeHex(e.get_string().value());
    if (!hex.ok()) return Status::InvalidArgument(where + ": " + key + ": " + hex.status().message());
    out = std::move(hex).value();
    return Status::Ok();
  }
  simdjson::dom::array arr;
  if (e.get_array().get(arr) != simdjson::SUCCESS) {
    return Status::InvalidArgument(where + ": " + key + " must be a list of bytes or a hex string");
  }
  size_t i = 0;
  for (simdjson::dom::element b : arr) {
    auto v = WholeNumber(b);
    if (!v.ok() || *v < 0 || *v > 255) {
      return Status::InvalidArgument(where + ": " + key + "[" + std::to_string(i) + "] must be a byte (0..255)");
    }
    out.push_back(static_cast<uint8_t>(*v));
    ++i;
  }
  return Status::Ok();
}

Result<TestVector> ExampleFromJson(simdjson::dom::element ex, const std::string& where, const ExampleOptions& o) {
  simdjson::dom::object obj;
  if (ex.get_object().get(obj) != simdjson::SUCCESS) return Status::InvalidArgument(where + ": an example must be a mapping");
  TestVector tv;
  std::string_view text;
  if (obj["description"].get_string().get(text) == simdjson::SUCCESS) tv.description = std::string(text);
  simdjson::dom::element input = ex;
  std::string in_key;
  simdjson::dom::element nested;
  if (obj["input"].get(nested) == simdjson::SUCCESS) {
    input = nested;
    in_key = "input.";
    if (!input.is_object()) return Status::InvalidArgument(where + ": input must be a mapping (bytes, fPort)");
  }
  simdjson::dom::element port;
  if (input["fPort"].get(port) == simdjson::SUCCESS || input["fport"].get(port) == simdjson::SUCCESS) {
    auto v = WholeNumber(port);
    if (!v.ok() || *v < 0 || *v > 255) return Status::InvalidArgument(where + ": " + in_key + "fPort must be 0..255");
    tv.fport = static_cast<int>(*v);
  }
  simdjson::dom::element bytes;
  if (input["bytes"].get(bytes) == simdjson::SUCCESS) {
    TC_RETURN_IF_ERROR(ReadBytes(bytes, where, in_key + "bytes", tv.payload));
  } else if (input["bytes_hex"].get(bytes) == simdjson::SUCCESS || input["payload"].get(bytes) == simdjson::SUCCESS) {
    if (!bytes.is_string()) return Status::InvalidArgument(where + ": " + in_key + "bytes_hex must be a hex string");
    TC_RETURN_IF_ERROR(ReadBytes(bytes, where, in_key + "bytes_hex", tv.payload));
  } else {
    return Status::InvalidArgument(where + ": " + in_key + "bytes is missing");
  }

  simdjson::dom::element output;
  std::string out_key = "output";
  if (obj["output"].get(output) != simdjson::SUCCESS) {
    out_key = "expected";
    if (obj["expected"].get(output) != simdjson::SUCCESS) {
      return Status::InvalidArgument(where + ": output (data, errors) is missing");
    }
  }
  if (!output.is_object()) return Status::InvalidArgument(where + ": " + out_key + " must be a mapping (data, errors, warnings)");
  simdjson::dom::array errors;
  if (output["errors"].get_array().get(errors) == simdjson::SUCCESS && errors.size() > 0) {
    std::string_view first;
    if (errors.at(0).get_string().get(first) != simdjson::SUCCESS || first.empty()) {
      return Status::InvalidArgument(where + ": " + out_key + ".errors[0] must be the error's text");
    }
    tv.expect_error = std::string(first);
    return tv;
  }
  simdjson::dom::element data;
  if (output["data"].get(data) != simdjson::SUCCESS) {
    return Status::InvalidArgument(where + ": " + out_key + " has neither data nor errors");
  }
  std::vector<DecodedValue> values;
  if (data.is_object()) {
    FlattenJsonObject(data, values);
  } else if (!data.is_null()) {
    return Status::InvalidArgument(where + ": " + out_key + ".data must be a mapping");
  }
  simdjson::dom::element normalized;
  if (obj["normalizedOutput"]["data"].get(normalized) == simdjson::SUCCESS) {
    std::vector<std::string> notes;  // fields outside the vocabulary: not stored, so not expected
    NormalizedToValues(normalized, values, notes);
  }
  const std::set<std::string> only(o.only.begin(), o.only.end());
  for (const DecodedValue& v : values) {
    if (v.identifier && !o.keep_identifiers) continue;
    if (!only.empty() && !only.count(v.field)) continue;
    tv.expect[v.field] = v.value;
  }
  tv.subset = o.subset || !only.empty();
  tv.tolerance = o.tolerance;
  return tv;
}

}  // namespace

Result<std::vector<TestVector>> ReadTtnExamplesYaml(std::string_view text, const std::string& origin,
                                                   const ExampleOptions& options) {
  if (text.size() > kMaxExampleFileBytes) {
    return Status::InvalidArgument(origin + ": larger than " + std::to_string(kMaxExampleFileBytes) + " bytes");
  }
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return Status::Internal("libyaml: cannot initialise a parser");
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  yaml_document_t doc;
  const bool loaded = yaml_parser_load(&parser, &doc) != 0;
  if (!loaded) {
    std::string why = origin + ":" + std::to_string(parser.problem_mark.line + 1) + ": YAML: " +
                      (parser.problem ? parser.problem : "cannot be read");
    if (parser.context) why += std::string(" ") + parser.context;
    yaml_parser_delete(&parser);
    return Status::InvalidArgument(why);
  }
  yaml_parser_delete(&parser);
  struct Free {
    yaml_document_t* d;
    ~Free() { yaml_document_delete(d); }
  } free_doc{&doc};

  yaml_node_t* root = yaml_document_get_root_node(&doc);
  yaml_node_t* list = nullptr;
  if (root && root->type == YAML_SEQUENCE_NODE) {
    list = root;
  } else if (root) {
    list = MappingValue(&doc, MappingValue(&doc, root, "uplinkDecoder"), "examples");
    if (!list) list = MappingValue(&doc, root, "examples");
  }
  if (!list || list->type != YAML_SEQUENCE_NODE) {
    return Status::InvalidArgument(origin + ":1: no examples: expected uplinkDecoder.examples (a TTN codec file), "
                                   "examples, or a list of examples");
  }
  std::vector<TestVector> out;
  simdjson::dom::parser json;
  size_t index = 0;
  for (yaml_node_item_t* it = list->data.sequence.items.start; it < list->data.sequence.items.top; ++it, ++index) {
    if (out.size() >= kMaxExamples) {
      return Status::InvalidArgument(origin + ": more than " + std::to_string(kMaxExamples) + " examples");
    }
    yaml_node_t* item = yaml_document_get_node(&doc, *it);
    const std::string where = origin + ":" + std::to_string(item ? YamlToJson::Line(item) : 1) + ": example " +
                              std::to_string(index + 1);
    std::string text_json;
    TC_RETURN_IF_ERROR(YamlToJson(&doc, where).Convert(item, 0, text_json));
    simdjson::dom::element e;
    if (json.parse(text_json).get(e) != simdjson::SUCCESS) return Status::InvalidArgument(where + ": cannot be read");
    TC_ASSIGN_OR_RETURN(TestVector tv, ExampleFromJson(e, where, options));
    out.push_back(std::move(tv));
  }
  return out;
}

Result<std::vector<TestVector>> ReadExamplesJsonLines(std::string_view text, const std::string& origin,
                                                     const ExampleOptions& options) {
  if (text.size() > kMaxExampleFileBytes) {
    return Status::InvalidArgument(origin + ": larger than " + std::to_string(kMaxExampleFileBytes) + " bytes");
  }
  std::vector<TestVector> out;
  simdjson::dom::parser json;
  size_t line = 0;
  while (!text.empty()) {
    ++line;
    const size_t nl = text.find('\n');
    std::string_view one = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!one.empty() && (one.back() == '\r' || one.back() == ' ' || one.back() == '\t')) one.remove_suffix(1);
    if (one.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string where = origin + ":" + std::to_string(line);
    if (out.size() >= kMaxExamples) {
      return Status::InvalidArgument(origin + ": more than " + std::to_string(kMaxExamples) + " examples");
    }
    simdjson::dom::element e;
    auto error = json.parse(one.data(), one.size(), true).get(e);
    if (error != simdjson::SUCCESS) {
      return Status::InvalidArgument(where + ": not a JSON object (" + std::string(simdjson::error_message(error)) + ")");
    }
    TC_ASSIGN_OR_RETURN(TestVector tv, ExampleFromJson(e, where, options));
    out.push_back(std::move(tv));
  }
  if (out.empty()) return Status::InvalidArgument(origin + ": no examples (one JSON object a line)");
  return out;
}

Result<std::vector<TestVector>> ReadVendorExamplesFile(const std::string& path, const ExampleOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  const bool yaml = path.ends_with(".yaml") || path.ends_with(".yml");
  return yaml ? ReadTtnExamplesYaml(text, path, options) : ReadExamplesJsonLines(text, path, options);
}

namespace {

std::string TomlQuoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[12];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string TomlKey(const std::string& k) {
  bool bare = !k.empty();
  for (char c : k) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) bare = false;
  }
  return bare ? k : TomlQuoted(k);
}

// The shortest text that reads back as the same double. A whole number TOML
// would read as an integer is written so only while it is exact as one
// (|d| < 1e15); larger ones, and -0, as floats.
std::string TomlNumber(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, ec == std::errc() ? end : buf);
  if (s.find_first_of(".e") == std::string::npos) {
    if (std::signbit(d) && d == 0) return "-0.0";
    if (std::fabs(d) >= 1e15) {
      auto [e2, ec2] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
      s.assign(buf, ec2 == std::errc() ? e2 : buf);
    }
  }
  return s;
}

}  // namespace

std::string VectorsToToml(const std::vector<TestVector>& vectors) {
  std::string o;
  for (const TestVector& tv : vectors) {
    o += "[[test]]\n";
    if (!tv.description.empty()) o += "description = " + TomlQuoted(tv.description) + "\n";
    if (tv.fport) o += "fport = " + std::to_string(*tv.fport) + "\n";
    o += "payload = \"" + EncodeHex(tv.payload) + "\"\n";
    if (!tv.expect_error.empty()) {
      o += "expect_error = " + TomlQuoted(tv.expect_error) + "\n";
    } else {
      o += "expect = {";
      bool first = true;
      for (const auto& [k, v] : tv.expect) {
        o += first ? " " : ", ";
        first = false;
        o += TomlKey(k) + " = " + TomlNumber(v);
      }
      o += first ? "}\n" : " }\n";
    }
    if (tv.subset) o += "subset = true\n";
    if (tv.tolerance) o += "tolerance = " + TomlNumber(*tv.tolerance) + "\n";
    o += "\n";
  }
  return o;
}

}  // namespace telecollect::decode
