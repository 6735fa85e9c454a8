// The XML format reader, streaming with XmlTokenizer. Records are the elements at the
// profile's `records` path ("/export/meter/reading": local names from the
// root, "*" any name, "//reading" at any depth). Names are matched on their
// local part: namespace prefixes and URIs are ignored. Fields are paths
// relative to the record: "@attr", "child", "child/@attr", "a/b", "." (the
// record's text), "../@attr" or "../child" (an enclosing element's attribute,
// or a child of it that closed before the record started).
#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "files/file_parser.h"
#include "files/number_format.h"
#include "files/xml_tokenizer.h"

namespace telecollect::files {
namespace {

constexpr size_t kMaxKept = 256;      // per enclosing element: attributes and simple children kept
constexpr size_t kMaxRecordFields = 4096;
constexpr size_t kMaxText = 1 << 16;


struct XmlPath {
  int up = 0;
  std::string rel;  // "" or "." = the element itself; "@a"; "child/@a"
  std::string text;
  mutable size_t hint = 0;  // where the field was in the last record (records repeat their layout)
  // An attribute of an empty record element: its index among the tag's
  // attributes, for tags of this layout (XmlTokenizer::tag_layout).
  mutable size_t attr_index = 0;
  mutable uint64_t attr_layout = 0;
};

XmlPath ParseXmlPath(const std::string& s) {
  XmlPath p;
  p.text = s;
  std::string_view v = s;
  while (v.substr(0, 3) == "../") {
    ++p.up;
    v.remove_prefix(3);
  }
  if (v == ".." ) { ++p.up; v = "."; }
  if (v == "text()") v = ".";
  if (v.size() > 7 && v.substr(v.size() - 7) == "/text()") v.remove_suffix(7);
  p.rel = std::string(v == "." ? "" : v);
  return p;
}

class XmlReader final : public XmlTokenizer::Handler {
 public:
  XmlReader(const Profile& profile, std::string_view part, RowMapper& mapper)
      : profile_(profile), part_(part), mapper_(mapper) {
    std::string_view r = profile.records;
    if (r.substr(0, 2) == "//") {
      any_depth_ = true;
      r.remove_prefix(2);
    } else if (!r.empty() && r.front() == '/') {
      r.remove_prefix(1);
    }
    while (!r.empty()) {
      const size_t slash = r.find('/');
      pattern_.emplace_back(r.substr(0, slash));
      if (slash == std::string_view::npos) break;
      r.remove_prefix(slash + 1);
    }
    for (const FieldRef& t : profile.timestamp) ts_.push_back(ParseXmlPath(t.name));
    if (profile.layout == Profile::Layout::kLong) {
      module_ = ParseXmlPath(profile.module.name);
      value_ = ParseXmlPath(profile.value.name);
      if (!profile.unit_field.empty()) unit_ = ParseXmlPath(profile.unit_field.name);
    }
    for (const FieldRef& c : profile.columns) columns_.push_back(ParseXmlPath(c.name));
    ns_mode_ = !profile.xml_namespaces.empty();
    std::string ts_name;
    for (const auto& t : ts_) ts_name += (ts_name.empty() ? "" : " + ") + t.text;
    mapper.SetFieldNames(module_.text, value_.text, ts_name);
  }

  Status Run(TextReader& text);

 private:
  struct Element {
    std::string name;                          // local name
    std::map<std::string, std::string> kept;   // "@attr" and simple children "child" (enclosing elements)
    std::string text;
    bool has_children = false;  // then its text (indentation between children) is not kept
    size_t ns_mark = 0;         // namespaces mode: bindings_ before its own declarations
  };

  Status OnStart(std::string_view name, std::span<const XmlTokenizer::Attribute> attrs) override {
    Start(name, attrs);
    return failure_;
  }
  Status OnEnd(std::string_view name) override {
    End(name);
    return failure_;
  }
  Status OnText(std::string_view text) override {
    Text(text);
    return failure_;
  }

  bool MatchesRecord(std::string_view top) const;  // would `top`, pushed now, be a record?
  // MatchesRecord's last answer, for a tag of this layout under the same open
  // elements (record after record: one comparison of two numbers).
  struct RecordMatch {
    uint64_t layout = 0, stack_version = 0;
    bool record = false;
  } last_match_;
  void Start(std::string_view name, std::span<const XmlTokenizer::Attribute> attrs);
  void End(std::string_view name);
  void Text(std::string_view text);
  void EmitRecord();
  bool Lookup(const XmlPath& p, std::string_view& out);
  void Abort(Status s) {
    if (failure_.ok()) failure_ = std::move(s);
  }

  const Profile& profile_;
  std::string_view part_;
  RowMapper& mapper_;
  std::vector<std::string> pattern_;
  bool any_depth_ = false;
  XmlPath module_, value_, unit_;
  std::vector<XmlPath> ts_, columns_;

  XmlTokenizer tokenizer_{*this};
  // The open elements; slots are reused (no allocation per element).
  class ElementStack {
   public:
    size_t size() const { return n_; }
    bool empty() const { return n_ == 0; }
    Element& back() { return items_[n_ - 1]; }
    Element& operator[](size_t i) { return items_[i]; }
    const Element& operator[](size_t i) const { return items_[i]; }
    // Changes with every Push and Pop: the same version, the same open elements.
    uint64_t version() const { return version_; }
    Element& Push(std::string_view name) {
      ++version_;
      if (n_ == items_.size()) items_.emplace_back();
      Element& e = items_[n_++];
      e.name.assign(name);
      e.kept.clear();
      e.text.clear();
      e.has_children = false;
      return e;
    }
    Element& Pop() {  // valid until the next Push
      ++version_;
      return items_[--n_];
    }

   private:
    std::vector<Element> items_;
    size_t n_ = 0;
    uint64_t version_ = 0;
  };
  ElementStack stack_;
  // Namespaces mode (the profile has [namespaces]): names are compared as
  // "prefix:local" with the profile's prefix for the namespace URI (see Name).
  bool ns_mode_ = false;
  std::vector<std::pair<std::string, std::string>> bindings_;  // in scope: the file's prefix ("" = default) → URI
  std::string name_;                                          // Name()'s result
  std::string element_name_;                                  // Start's element, by Name()
  void Declare(std::span<const XmlTokenizer::Attribute> attrs);
  std::string_view Name(std::string_view qname, bool attribute);
  std::string_view NameOf(std::string_view qname, bool attribute) {
    return ns_mode_ ? Name(qname, attribute) : XmlLocalName(qname);
  }
  // An empty record element ("<r a=\"1\"/>", the common case): its attributes
  // are read in place (EmitRecord runs before the tokenizer moves on).
  bool record_in_place_ = false;
  bool skip_end_ = false;
  std::span<const XmlTokenizer::Attribute> record_attrs_;
  uint64_t record_layout_ = 0;
  bool LookupInPlace(const XmlPath& p, std::string_view& out);
  // Inside a record: its depth in stack_, its fields by relative path.
  size_t record_depth_ = 0;
  bool in_record_ = false;
  int64_t record_line_ = 0;
  // Relative path → text; the first n_fields_ are this record's (the strings are
  // reused record after record, not reallocated).
  std::vector<std::pair<std::string, std::string>> fields_;
  size_t n_fields_ = 0;
  std::pair<std::string, std::string>& NewField() {
    if (n_fields_ == fields_.size()) fields_.emplace_back();
    return fields_[n_fields_++];
  }
  std::span<const std::pair<std::string, std::string>> Fields() const { return {fields_.data(), n_fields_}; }
  std::vector<std::string> rel_path_;                       // element names below the record
  Status failure_;
};

bool XmlReader::MatchesRecord(std::string_view top) const {
  // The path of `top`, about to be pushed: stack_ then top.
  const size_t depth = stack_.size() + 1;
  const auto name_at = [&](size_t i) -> std::string_view { return i + 1 == depth ? top : std::string_view(stack_[i].name); };
  if (pattern_.empty()) return false;
  if (any_depth_) {
    if (depth < pattern_.size()) return false;
    for (size_t i = 0; i < pattern_.size(); ++i) {
      const std::string& want = pattern_[pattern_.size() - 1 - i];
      if (want != "*" && !SameText(want, name_at(depth - 1 - i))) return false;
    }
    return true;
  }
  if (depth != pattern_.size()) return false;
  for (size_t i = 0; i < pattern_.size(); ++i) {
    if (pattern_[i] != "*" && !SameText(pattern_[i], name_at(i))) return false;
  }
  return true;
}

void XmlReader::Declare(std::span<const XmlTokenizer::Attribute> attrs) {
  for (const auto& a : attrs) {
    if (!XmlIsNamespaceDeclaration(a.name)) continue;
    const std::string_view prefix = a.name.size() > 5 ? a.name.substr(6) : std::string_view();
    if (!prefix.empty() && a.value.empty())
      return Abort(Status::InvalidArgument(fmt::format("line {}: {} declares an empty namespace URI", tokenizer_.line(), a.name)));
    bindings_.emplace_back(prefix, a.value);
  }
}

// The name to compare with the profile's: "p:local" when its namespace URI is
// the profile's prefix p, else the local name alone.
std::string_view XmlReader::Name(std::string_view qname, bool attribute) {
  static constexpr std::string_view kXmlUri = "http://www.w3.org/XML/1998/namespace";
  const size_t colon = qname.find(':');
  const std::string_view prefix = colon == std::string_view::npos ? std::string_view() : qname.substr(0, colon);
  const std::string_view local = colon == std::string_view::npos ? qname : qname.substr(colon + 1);
  std::string_view uri;
  if (prefix == "xml") {
    uri = kXmlUri;
  } else if (!prefix.empty() || !attribute) {  // unprefixed attributes are in no namespace
    bool found = false;
    for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it) {
      if (it->first == prefix) {
        uri = it->second;  // an empty default namespace: none
        found = true;
        break;
      }
    }
    if (!found && !prefix.empty()) {
      Abort(Status::InvalidArgument(fmt::format("line {}: namespace prefix \"{}\" of <{}> is not declared (xmlns:{}=\"...\")",
                                                tokenizer_.line(), prefix, qname, prefix)));
      return local;
    }
  }
  for (const auto& [profile_prefix, profile_uri] : profile_.xml_namespaces) {
    if (!uri.empty() && profile_uri == uri) {
      name_.assign(profile_prefix).append(":").append(local);
      return name_;
    }
  }
  return local;
}

void XmlReader::Start(std::string_view name, std::span<const XmlTokenizer::Attribute> attrs) {
  if (!failure_.ok()) return;
  if (!stack_.empty()) {
    stack_.back().has_children = true;
    stack_.back().text.clear();
  }
  const size_t ns_mark = bindings_.size();
  if (ns_mode_) {
    Declare(attrs);  // an element's declarations apply to itself and its attributes
    if (!failure_.ok()) return;
  }
  std::string_view local = XmlLocalName(name);
  if (ns_mode_) {
    element_name_.assign(Name(name, false));  // Name's result is overwritten by the attributes' names
    local = element_name_;
    if (!failure_.ok()) return;
  }
  bool record = false;
  if (!in_record_) {
    const uint64_t layout = ns_mode_ ? 0 : tokenizer_.tag_layout();
    if (layout != 0 && layout == last_match_.layout && stack_.version() == last_match_.stack_version) {
      record = last_match_.record;
    } else {
      record = MatchesRecord(local);
      last_match_ = {layout, stack_.version(), record};
    }
  }
  if (record && tokenizer_.tag_is_empty() && !ns_mode_) {
    // An empty record element ("<r a=\"1\"/>", the common case): read in
    // place, now, without a slot on the stack; its OnEnd follows and is skipped.
    record_depth_ = stack_.size() + 1;
    record_line_ = tokenizer_.line();
    record_attrs_ = attrs;
    record_layout_ = tokenizer_.tag_layout();
    record_in_place_ = true;
    EmitRecord();
    record_in_place_ = false;
    skip_end_ = true;
    return;
  }
  Element& e = stack_.Push(local);
  e.ns_mark = ns_mark;
  if (in_record_) {
    rel_path_.push_back(e.name);
    std::string base;
    for (size_t i = 0; i < rel_path_.size(); ++i) base += (i ? "/" : "") + rel_path_[i];
    for (const auto& a : attrs) {
      if (XmlIsNamespaceDeclaration(a.name)) continue;
      if (n_fields_ >= kMaxRecordFields) return Abort(Status::InvalidArgument(fmt::format("line {}: record with more than {} fields", record_line_, kMaxRecordFields)));
      auto& f = NewField();
      f.first.assign(base).append("/@").append(NameOf(a.name, true));
      f.second.assign(a.value);
    }
    return;
  }
  if (record) {
    in_record_ = true;
    record_depth_ = stack_.size();
    record_line_ = tokenizer_.line();
    // Field storage is reused record after record: assign, do not reallocate.
    n_fields_ = 0;
    rel_path_.clear();
    for (const auto& a : attrs) {
      if (XmlIsNamespaceDeclaration(a.name)) continue;
      auto& f = NewField();
      // Records repeat their attributes in the same order: the slot usually
      // has the key already (equal to the name as written: it has no prefix).
      const bool same_key = !ns_mode_ && f.first.size() == a.name.size() + 1 && f.first[0] == '@' &&
                            SameText(std::string_view(f.first).substr(1), a.name);
      if (!same_key) f.first.assign("@").append(NameOf(a.name, true));
      f.second.assign(a.value);
    }
    return;
  }
  for (const auto& a : attrs) {
    if (e.kept.size() >= kMaxKept) break;
    if (!XmlIsNamespaceDeclaration(a.name)) e.kept["@" + std::string(NameOf(a.name, true))] = std::string(a.value);
  }
}

void XmlReader::Text(std::string_view s) {
  if (!failure_.ok() || stack_.empty() || stack_.back().has_children) return;
  std::string& t = stack_.back().text;
  if (t.size() + s.size() > kMaxText) return Abort(Status::InvalidArgument(fmt::format("line {}: text longer than 64 KiB", tokenizer_.line())));
  t.append(s);
}

void XmlReader::End(std::string_view) {
  if (!failure_.ok()) return;
  if (skip_end_) {  // an empty record, read in Start
    skip_end_ = false;
    return;
  }
  Element& e = stack_.Pop();
  if (ns_mode_) bindings_.resize(e.ns_mark);
  const std::string_view text = TrimSpaces(e.text);
  if (in_record_) {
    if (stack_.size() + 1 == record_depth_) {
      auto& f = NewField();
      f.first.clear();
      f.second.assign(text);
      in_record_ = false;
      EmitRecord();
      return;
    }
    std::string path;
    for (size_t i = 0; i < rel_path_.size(); ++i) path += (i ? "/" : "") + rel_path_[i];
    if (n_fields_ >= kMaxRecordFields) return Abort(Status::InvalidArgument(fmt::format("line {}: record with more than {} fields", record_line_, kMaxRecordFields)));
    auto& f = NewField();
    f.first = std::move(path);
    f.second.assign(text);
    rel_path_.pop_back();
    return;
  }
  // A simple child of an enclosing element: kept for "../child" fields.
  if (!stack_.empty() && stack_.back().kept.size() < kMaxKept && !text.empty()) stack_.back().kept[e.name] = std::string(text);
}

bool XmlReader::LookupInPlace(const XmlPath& p, std::string_view& out) {
  if (p.rel.empty()) {  // the record's text: none
    out = {};
    return true;
  }
  if (p.rel[0] != '@') return false;  // no children
  // (Lookup took it at its place in the last tag of this layout, if it was there.)
  const std::string_view want = std::string_view(p.rel).substr(1);
  for (size_t i = 0; i < record_attrs_.size(); ++i) {
    const XmlTokenizer::Attribute& a = record_attrs_[i];
    if (!XmlIsNamespaceDeclaration(a.name) && SameText(XmlLocalName(a.name), want)) {
      p.attr_index = i;
      p.attr_layout = record_layout_;
      out = a.value;
      return true;
    }
  }
  return false;
}

bool XmlReader::Lookup(const XmlPath& p, std::string_view& out) {
  if (record_in_place_ && p.up == 0) {
    // Where it was in the last tag of this layout (LookupInPlace found it there).
    if (record_layout_ != 0 && p.attr_layout == record_layout_) {
      out = record_attrs_[p.attr_index].value;
      return true;
    }
    return LookupInPlace(p, out);
  }
  if (p.up > 0) {
    if (record_depth_ < static_cast<size_t>(p.up) + 1) return false;
    // stack_ now holds the record's ancestors (the record itself was popped).
    const Element& anc = stack_[record_depth_ - 1 - static_cast<size_t>(p.up)];
    if (p.rel.empty()) {
      out = anc.text;
      return true;
    }
    const auto it = anc.kept.find(p.rel);
    if (it == anc.kept.end()) return false;
    out = it->second;
    return true;
  }
  const auto fields = Fields();
  if (p.hint < fields.size() && SameText(fields[p.hint].first, p.rel)) {
    out = fields[p.hint].second;
    return true;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (SameText(fields[i].first, p.rel)) {
      p.hint = i;
      out = fields[i].second;
      return true;
    }
  }
  return false;
}

void XmlReader::EmitRecord() {
  Row row;
  row.part = part_;
  row.line = record_line_;
  row.ts_count = static_cast<int>(std::min<size_t>(ts_.size(), 4));
  for (int i = 0; i < row.ts_count && row.missing.empty(); ++i) {
    if (!Lookup(ts_[i], row.ts[i])) row.missing = "no " + ts_[i].text + " in the record";
  }
  if (row.missing.empty() && profile_.layout == Profile::Layout::kLong) {
    if (!Lookup(module_, row.module)) row.missing = "no " + module_.text + " in the record";
    else if (!Lookup(value_, row.value)) row.missing = "no " + value_.text + " in the record";
    else if (!unit_.text.empty()) row.has_unit = Lookup(unit_, row.unit);
  } else if (row.missing.empty()) {
    if (!columns_.empty()) {
      for (const XmlPath& c : columns_) {
        std::string_view v;
        if (Lookup(c, v)) row.cells.push_back({c.text, v, 0, false});
      }
    } else {
      // Direct children and attributes of the record, but the timestamp's and the excluded.
      const auto add = [&](std::string_view name, bool attribute, std::string_view text) {
        const bool is_ts = std::any_of(ts_.begin(), ts_.end(), [&](const XmlPath& t) {
          return t.up == 0 && !t.rel.empty() && (t.rel[0] == '@') == attribute &&
                 std::string_view(t.rel).substr(attribute ? 1 : 0) == name;
        });
        if (is_ts || std::find(profile_.exclude.begin(), profile_.exclude.end(), name) != profile_.exclude.end()) return;
        row.cells.push_back({name, text, 0, false});
      };
      if (record_in_place_) {
        for (const XmlTokenizer::Attribute& a : record_attrs_) {
          if (!XmlIsNamespaceDeclaration(a.name)) add(XmlLocalName(a.name), true, a.value);
        }
      } else {
        for (const auto& [path, text] : Fields()) {
          if (path.empty() || path.find('/') != std::string::npos) continue;
          const bool attribute = path.front() == '@';
          add(std::string_view(path).substr(attribute ? 1 : 0), attribute, text);
        }
      }
    }
  }
  Status s = mapper_.Map(row);
  if (!s.ok()) Abort(std::move(s));
}

Status XmlReader::Run(TextReader& text) {
  // The text arrives as UTF-8 whatever the file's encoding (TextReader).
  // Names are matched on their local part (LocalName drops the prefix; xmlns
  // declarations are skipped).
  Status s = tokenizer_.Parse([&text](char* buf, size_t cap) { return text.Read(buf, cap); });
  if (!failure_.ok()) return failure_;
  if (s.ok()) return s;
  if (s.message().find("no root element") != std::string::npos) return Status::InvalidArgument("empty document");
  return s;
}

}  // namespace

Status ReadXmlPart(TextReader& text, const Profile& profile, std::string_view part, RowMapper& mapper) {
  XmlReader reader(profile, part, mapper);
  return reader.Run(text);
}

}  // namespace telecollect::files
