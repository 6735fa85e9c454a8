#include "push/envelope_body.h"

#include <map>
#include <vector>

#include <pugixml.hpp>
#include <simdjson.h>

#include "core/json_writer.h"

namespace telecollect::push {
namespace {

constexpr int kMaxXmlDepth = 64;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One form-encoded key or value; `offset` is its first byte in the body (for errors).
Result<std::string> FormDecode(std::string_view s, size_t offset) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] != '%') {
      out += s[i];
    } else {
      const int hi = i + 2 < s.size() ? HexDigit(s[i + 1]) : -1;
      const int lo = hi >= 0 ? HexDigit(s[i + 2]) : -1;
      if (lo < 0) {
        return Status::InvalidArgument("bad %-escape at byte " + std::to_string(offset + i + 1) +
                                       " (% must be followed by two hex digits)");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  if (!simdjson::validate_utf8(out.data(), out.size())) {
    return Status::InvalidArgument("not UTF-8 once decoded, at byte " + std::to_string(offset + 1));
  }
  return out;
}

std::string_view LocalName(std::string_view name) {
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string_view TrimSpace(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

Status WriteElement(JsonWriter& w, const pugi::xml_node& node, int depth) {
  if (depth > kMaxXmlDepth) {
    return Status::InvalidArgument("XML elements nested deeper than " + std::to_string(kMaxXmlDepth) + " levels");
  }
  std::vector<std::pair<std::string_view, std::vector<pugi::xml_node>>> groups;  // in the order of first appearance
  std::map<std::string_view, size_t> group_of;
  std::string text;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_element) {
      const std::string_view name = LocalName(child.name());
      auto [it, added] = group_of.emplace(name, groups.size());
      if (added) groups.push_back({name, {}});
      groups[it->second].second.push_back(child);
    } else if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      text += child.value();
    }
  }
  const std::string_view own_text = TrimSpace(text);
  if (groups.empty() && !node.first_attribute()) {
    w.String(own_text);
    return Status::Ok();
  }
  w.BeginObject();
  for (pugi::xml_attribute a : node.attributes()) {
    const std::string_view name(a.name());
    if (name == "xmlns" || name.starts_with("xmlns:")) continue;  // namespaces are not data
    w.Key("@" + std::string(LocalName(name))).String(a.value());
  }
  for (const auto& [name, nodes] : groups) {
    w.Key(name);
    if (nodes.size() > 1) w.BeginArray();
    for (const pugi::xml_node& n : nodes) TC_RETURN_IF_ERROR(WriteElement(w, n, depth + 1));
    if (nodes.size() > 1) w.EndArray();
  }
  if (!own_text.empty()) w.Key("#text").String(own_text);
  w.EndObject();
  return Status::Ok();
}

}  // namespace

Result<std::string> FormBodyToJson(std::string_view body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  if (body.empty()) return Status::InvalidArgument("empty body: expected form fields (name=value&...)");
  JsonWriter w;
  w.BeginObject();
  std::map<std::string, size_t> seen;  // key → its field number
  size_t start = 0, field = 0;
  while (start <= body.size()) {
    const size_t end = std::min(body.find('&', start), body.size());
    const std::string_view pair = body.substr(start, end - start);
    if (!pair.empty()) {
      ++field;
      const size_t eq = pair.find('=');
      const std::string_view raw_key = pair.substr(0, eq);
      const std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      const std::string where = "form field " + std::to_string(field);
      auto key = FormDecode(raw_key, start);
      if (!key.ok()) return Status::InvalidArgument(where + " (name): " + key.status().message());
      if (key->empty()) return Status::InvalidArgument(where + ": empty name (at byte " + std::to_string(start + 1) + ")");
      auto value = FormDecode(raw_value, start + eq + 1);
      if (!value.ok()) return Status::InvalidArgument(where + " (\"" + *key + "\"): " + value.status().message());
      if (auto [it, added] = seen.emplace(*key, field); !added) {
        return Status::InvalidArgument(where + ": \"" + *key + "\" is given twice (field " + std::to_string(it->second) +
                                       " too)");
      }
      w.Key(*key).String(*value);
    }
    start = end + 1;
  }
  w.EndObject();
  if (field == 0) return Status::InvalidArgument("empty body: expected form fields (name=value&...)");
  return w.Take();
}

Result<std::string> XmlBodyToJson(std::string_view body) {
  if (!simdjson::validate_utf8(body.data(), body.size())) {
    return Status::InvalidArgument("XML body is not UTF-8 (send it as UTF-8)");
  }
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    return Status::InvalidArgument(std::string("body is not valid XML: ") + parsed.description() + " at byte " +
                                   std::to_string(parsed.offset + 1));
  }
  const pugi::xml_node root = doc.document_element();
  if (!root) return Status::InvalidArgument("body is not valid XML: no root element");
  JsonWriter w;
  w.BeginObject().Key(LocalName(root.name()));
  TC_RETURN_IF_ERROR(WriteElement(w, root, 1));
  w.EndObject();
  return w.Take();
}

}  // namespace telecollect::push
