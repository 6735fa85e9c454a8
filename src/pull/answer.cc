#include "pull/answer.h"

#include <simdjson.h>

#include "files/file_parser.h"
#include "files/input_file.h"

namespace telecollect::pull {
namespace {

namespace dom = simdjson::dom;

// "a/b", "/a/b" or "a.b" inside an object; false if a step is missing.
bool Find(dom::element e, std::string_view path, dom::element& out) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  const char sep = path.find('/') != std::string_view::npos ? '/' : '.';
  while (!path.empty()) {
    const size_t cut = path.find(sep);
    const std::string_view key = path.substr(0, cut);
    dom::object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return false;
    if (o.at_key(key).get(e) != simdjson::SUCCESS) return false;
    path = cut == std::string_view::npos ? std::string_view() : path.substr(cut + 1);
  }
  out = e;
  return true;
}

// A scalar as text ("" for null and for containers).
std::string Text(dom::element e) {
  switch (e.type()) {
    case dom::element_type::STRING: return std::string(e.get_string().value_unsafe());
    case dom::element_type::INT64: return std::to_string(e.get_int64().value_unsafe());
    case dom::element_type::UINT64: return std::to_string(e.get_uint64().value_unsafe());
    case dom::element_type::DOUBLE: return simdjson::minify(e);
    case dom::element_type::BOOL: return e.get_bool().value_unsafe() ? "true" : "false";
    default: return "";
  }
}

bool Truthy(dom::element e) {
  switch (e.type()) {
    case dom::element_type::NULL_VALUE: return false;
    case dom::element_type::BOOL: return e.get_bool().value_unsafe();
    case dom::element_type::STRING: return !e.get_string().value_unsafe().empty();
    case dom::element_type::ARRAY: return dom::array(e.get_array().value_unsafe()).size() > 0;
    case dom::element_type::OBJECT: return dom::object(e.get_object().value_unsafe()).size() > 0;
    default: return true;
  }
}

// Checks and paging fields of one document (a JSON answer or one NDJSON line).
void Inspect(dom::element doc, const ResponseChecks& checks, const Pagination& pg, AnswerInfo& info) {
  dom::element v;
  if (info.business_error.empty()) {
    for (const std::string& p : checks.error_paths) {
      if (Find(doc, p, v) && Truthy(v)) {
        const std::string t = Text(v);
        info.business_error = p + ": " + (t.empty() ? simdjson::minify(v) : t);
        break;
      }
    }
  }
  if (info.business_error.empty()) {
    for (const std::string& p : checks.status_paths) {
      if (!Find(doc, p, v) || v.is_null()) continue;
      const std::string status = Text(v);
      bool ok = false;
      for (const std::string& good : checks.status_ok) ok = ok || status == good;
      if (ok) continue;
      info.business_error = p + " = " + status;
      for (const std::string& m : checks.message_paths) {
        if (Find(doc, m, v) && !Text(v).empty()) {
          info.business_error += ": " + Text(v);
          break;
        }
      }
      break;
    }
  }
  if (!pg.cursor_path.empty() && Find(doc, pg.cursor_path, v)) info.cursor = Text(v);
  if (!pg.next_path.empty() && Find(doc, pg.next_path, v)) info.next_url = Text(v);
}

// Why a data record is in error under the record checks; "" when it is not.
std::string RecordError(dom::element doc, const ResponseChecks& checks) {
  dom::element v;
  for (const std::string& p : checks.record_error_paths) {
    if (Find(doc, p, v) && Truthy(v)) {
      const std::string t = Text(v);
      return p + ": " + (t.empty() ? simdjson::minify(v) : t);
    }
  }
  for (const std::string& p : checks.record_status_paths) {
    if (!Find(doc, p, v) || v.is_null()) continue;
    const std::string status = Text(v);
    bool ok = false;
    for (const std::string& good : checks.status_ok) ok = ok || status == good;
    if (ok) continue;
    std::string why = p + " = " + status;
    for (const std::string& m : checks.record_message_paths) {
      if (Find(doc, m, v) && !Text(v).empty()) return why + ": " + Text(v);
    }
    return why;
  }
  return "";
}

}  // namespace

Status MapAnswer(std::string_view body, const files::Profile& mapping, const ResponseChecks& checks,
                 const Pagination& pagination, files::ReadingSink& sink, files::ImportReport& report, AnswerInfo& info) {
  info = AnswerInfo();
  TC_ASSIGN_OR_RETURN(std::unique_ptr<files::InputFile> file, files::InputFile::FromMemory(std::string(body), "answer"));
  const bool need_inspect = !checks.empty() || !pagination.cursor_path.empty() || !pagination.next_path.empty();
  if (need_inspect) {
    // The control pass reads the decompressed text: a small answer, parsed once more.
    std::string text;
    std::string part;
    TC_ASSIGN_OR_RETURN(bool any, file->NextPart(part));
    if (any) {
      char buf[65536];
      while (true) {
        TC_ASSIGN_OR_RETURN(size_t got, file->Read(buf, sizeof buf));
        if (got == 0) break;
        text.append(buf, got);
      }
    }
    thread_local dom::parser parser;  // kept across answers: allocated once per thread
    std::vector<std::pair<size_t, size_t>> blank;  // lines of records in error: left out of the mapping
    if (mapping.format == files::Profile::Format::kNdjson) {
      size_t pos = 0;
      int64_t number = 0;
      while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + pos, end - pos);
        const size_t start = pos;
        pos = end + 1;
        ++number;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
        if (line.empty()) continue;
        dom::element doc;
        if (parser.parse(line.data(), line.size()).get(doc) != simdjson::SUCCESS) continue;  // the mapping reports it
        Inspect(doc, checks, pagination, info);
        dom::element v;
        if (!checks.has_record_checks() ||
            (!mapping.skip_records_with.empty() && Find(doc, mapping.skip_records_with, v))) {
          continue;  // a control record
        }
        std::string why = RecordError(doc, checks);
        if (why.empty()) continue;
        BadRecord bad;
        bad.line = number;
        bad.message = std::move(why);
        if (mapping.timestamp.size() == 1 && Find(doc, mapping.timestamp[0].name, v)) bad.timestamp = Text(v);
        info.bad_records.push_back(std::move(bad));
        blank.emplace_back(start, line.size());
      }
    } else {
      dom::element doc;
      if (parser.parse(text).get(doc) == simdjson::SUCCESS) Inspect(doc, checks, pagination, info);
    }
    if (!info.business_error.empty()) return Status::Ok();
    // A plain answer is mapped from the text just read (no second copy); a compressed one is
    // read again from its bytes (every part of a zip).
    const bool plain = file->compression() == files::InputFile::Compression::kNone;
    if (!blank.empty()) {
      // Spaces keep every other line's number and offset for the row report.
      for (const auto& [at, n] : blank) text.replace(at, n, n, ' ');
      TC_ASSIGN_OR_RETURN(file, files::InputFile::FromMemory(std::move(text), "answer"));
      const int64_t rows_before = report.rows;
      TC_RETURN_IF_ERROR(files::ParseFile(*file, mapping, sink, report));
      info.records = report.rows - rows_before;
      return Status::Ok();
    }
    TC_ASSIGN_OR_RETURN(file, files::InputFile::FromMemory(plain ? std::move(text) : std::string(body), "answer"));
  }
  const int64_t rows_before = report.rows;
  TC_RETURN_IF_ERROR(files::ParseFile(*file, mapping, sink, report));
  info.records = report.rows - rows_before;
  return Status::Ok();
}

}  // namespace telecollect::pull
