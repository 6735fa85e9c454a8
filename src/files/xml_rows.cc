// The XML format reader, streaming with expat. Records are the elements at the
// profile's `records` path ("/export/meter/reading": local names from the
// root, "*" any name, "//reading" at any depth). Names are matched on their
// local part: namespace prefixes and URIs are ignored. Fields are paths
// relative to the record: "@attr", "child", "child/@attr", "a/b", "." (the
// record's text), "../@attr" or "../child" (an enclosing element's attribute,
// or a child of it that closed before the record started).
#include <algorithm>
#include <cstring>
#include <map>

#include <expat.h>
#include <fmt/format.h>

#include "files/file_parser.h"
#include "files/number_format.h"

namespace telecollect::files {
namespace {

constexpr size_t kMaxKept = 256;      // per enclosing element: attributes and simple children kept
constexpr size_t kMaxRecordFields = 4096;
constexpr size_t kMaxText = 1 << 16;

// Namespace declarations are not data.
bool IsXmlns(const XML_Char* name) { return std::strncmp(name, "xmlns", 5) == 0 && (name[5] == 0 || name[5] == ':'); }

std::string_view LocalName(const XML_Char* name) {
  std::string_view n(name);
  const size_t colon = n.find(':');
  if (colon != std::string_view::npos) n.remove_prefix(colon + 1);
  return n;
}

struct XmlPath {
  int up = 0;
  std::string rel;  // "" or "." = the element itself; "@a"; "child/@a"
  std::string text;
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

class XmlReader {
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
  };

  static void OnStart(void* self, const XML_Char* name, const XML_Char** attrs) {
    static_cast<XmlReader*>(self)->Start(name, attrs);
  }
  static void OnEnd(void* self, const XML_Char* name) { static_cast<XmlReader*>(self)->End(name); }
  static void OnText(void* self, const XML_Char* s, int len) { static_cast<XmlReader*>(self)->Text(s, len); }

  bool MatchesRecord() const;
  void Start(const XML_Char* name, const XML_Char** attrs);
  void End(const XML_Char* name);
  void Text(const XML_Char* s, int len);
  void EmitRecord();
  bool Lookup(const XmlPath& p, std::string_view& out);
  void Abort(Status s) {
    if (failure_.ok()) failure_ = std::move(s);
    XML_StopParser(parser_, XML_FALSE);
  }

  const Profile& profile_;
  std::string_view part_;
  RowMapper& mapper_;
  std::vector<std::string> pattern_;
  bool any_depth_ = false;
  XmlPath module_, value_, unit_;
  std::vector<XmlPath> ts_, columns_;

  XML_Parser parser_ = nullptr;
  std::vector<Element> stack_;
  // Inside a record: its depth in stack_, its fields by relative path.
  size_t record_depth_ = 0;
  bool in_record_ = false;
  int64_t record_line_ = 0;
  std::vector<std::pair<std::string, std::string>> fields_;  // relative path → text
  std::vector<std::string> rel_path_;                       // element names below the record
  Status failure_;
};

bool XmlReader::MatchesRecord() const {
  if (pattern_.empty()) return false;
  if (any_depth_) {
    if (stack_.size() < pattern_.size()) return false;
    for (size_t i = 0; i < pattern_.size(); ++i) {
      const std::string& want = pattern_[pattern_.size() - 1 - i];
      if (want != "*" && want != stack_[stack_.size() - 1 - i].name) return false;
    }
    return true;
  }
  if (stack_.size() != pattern_.size()) return false;
  for (size_t i = 0; i < pattern_.size(); ++i) {
    if (pattern_[i] != "*" && pattern_[i] != stack_[i].name) return false;
  }
  return true;
}

void XmlReader::Start(const XML_Char* name, const XML_Char** attrs) {
  if (!failure_.ok()) return;
  if (!stack_.empty()) {
    stack_.back().has_children = true;
    stack_.back().text.clear();
  }
  stack_.push_back({std::string(LocalName(name)), {}, {}, false});
  Element& e = stack_.back();
  if (in_record_) {
    rel_path_.push_back(e.name);
    std::string base;
    for (size_t i = 0; i < rel_path_.size(); ++i) base += (i ? "/" : "") + rel_path_[i];
    for (int i = 0; attrs[i] != nullptr; i += 2) {
      if (IsXmlns(attrs[i])) continue;
      if (fields_.size() >= kMaxRecordFields) return Abort(Status::InvalidArgument(fmt::format("line {}: record with more than {} fields", record_line_, kMaxRecordFields)));
      fields_.emplace_back(base + "/@" + std::string(LocalName(attrs[i])), attrs[i + 1]);
    }
    return;
  }
  if (MatchesRecord()) {
    in_record_ = true;
    record_depth_ = stack_.size();
    record_line_ = XML_GetCurrentLineNumber(parser_);
    fields_.clear();
    rel_path_.clear();
    for (int i = 0; attrs[i] != nullptr; i += 2) {
      if (!IsXmlns(attrs[i])) fields_.emplace_back("@" + std::string(LocalName(attrs[i])), attrs[i + 1]);
    }
    return;
  }
  for (int i = 0; attrs[i] != nullptr && e.kept.size() < kMaxKept; i += 2) {
    if (!IsXmlns(attrs[i])) e.kept["@" + std::string(LocalName(attrs[i]))] = attrs[i + 1];
  }
}

void XmlReader::Text(const XML_Char* s, int len) {
  if (!failure_.ok() || stack_.empty() || stack_.back().has_children) return;
  std::string& t = stack_.back().text;
  if (t.size() + static_cast<size_t>(len) > kMaxText) return Abort(Status::InvalidArgument(fmt::format("line {}: text longer than 64 KiB", XML_GetCurrentLineNumber(parser_))));
  t.append(s, static_cast<size_t>(len));
}

void XmlReader::End(const XML_Char*) {
  if (!failure_.ok()) return;
  Element e = std::move(stack_.back());
  stack_.pop_back();
  const std::string text(TrimSpaces(e.text));
  if (in_record_) {
    if (stack_.size() + 1 == record_depth_) {
      fields_.emplace_back("", text);
      in_record_ = false;
      EmitRecord();
      return;
    }
    std::string path;
    for (size_t i = 0; i < rel_path_.size(); ++i) path += (i ? "/" : "") + rel_path_[i];
    fields_.emplace_back(path, text);
    rel_path_.pop_back();
    return;
  }
  // A simple child of an enclosing element: kept for "../child" fields.
  if (!stack_.empty() && stack_.back().kept.size() < kMaxKept && !text.empty()) stack_.back().kept[e.name] = text;
}

bool XmlReader::Lookup(const XmlPath& p, std::string_view& out) {
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
  for (const auto& [path, text] : fields_) {
    if (path == p.rel) {
      out = text;
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
      for (const auto& field : fields_) {
        const std::string& path = field.first;
        const std::string& text = field.second;
        if (path.empty() || path.find('/') != std::string::npos) continue;
        if (std::any_of(ts_.begin(), ts_.end(), [&](const XmlPath& t) { return t.up == 0 && t.rel == path; })) continue;
        std::string_view name = path;
        if (name.front() == '@') name.remove_prefix(1);
        if (std::find(profile_.exclude.begin(), profile_.exclude.end(), name) != profile_.exclude.end()) continue;
        row.cells.push_back({name, text, 0, false});
      }
    }
  }
  Status s = mapper_.Map(row);
  if (!s.ok()) Abort(std::move(s));
}

Status XmlReader::Run(TextReader& text) {
  // The text arrives as UTF-8 whatever the file's encoding (TextReader): the
  // declaration's encoding is overridden.
  // No namespace processing: names are matched on their local part anyway
  // (LocalName drops the prefix; xmlns declarations are skipped).
  parser_ = XML_ParserCreate("UTF-8");
  if (parser_ == nullptr) return Status::Internal("cannot create an XML parser");
  struct Free {
    XML_Parser p;
    ~Free() { XML_ParserFree(p); }
  } free_parser{parser_};
  XML_SetUserData(parser_, this);
  XML_SetElementHandler(parser_, &XmlReader::OnStart, &XmlReader::OnEnd);
  XML_SetCharacterDataHandler(parser_, &XmlReader::OnText);
  std::string buf(1 << 18, '\0');
  bool any = false;
  while (true) {
    TC_ASSIGN_OR_RETURN(size_t got, text.Read(buf.data(), buf.size()));
    any = any || got > 0;
    const bool last = got == 0;
    if (XML_Parse(parser_, buf.data(), static_cast<int>(got), last ? XML_TRUE : XML_FALSE) != XML_STATUS_OK) {
      if (!failure_.ok()) return failure_;
      return Status::InvalidArgument(fmt::format("line {}, column {}: {}", XML_GetCurrentLineNumber(parser_),
                                                 XML_GetCurrentColumnNumber(parser_) + 1,
                                                 XML_ErrorString(XML_GetErrorCode(parser_))));
    }
    if (last) break;
  }
  if (!any) return Status::InvalidArgument("empty document");
  return failure_;
}

}  // namespace

Status ReadXmlPart(TextReader& text, const Profile& profile, std::string_view part, RowMapper& mapper) {
  XmlReader reader(profile, part, mapper);
  return reader.Run(text);
}

}  // namespace telecollect::files
