#include "server/files_api.h"

#include <memory>

#include "core/json_writer.h"
#include "core/multipart.h"
#include "files/file_parser.h"
#include "files/input_file.h"
#include "files/sniff.h"
#include "push/push_service.h"
#include "server/json_error.h"
#include "server/routes.h"

namespace telecollect::server {
namespace {

// How errors and the report name an upload: the last component of the name
// the client gave (its extension helps sniffing), never a server path.
std::string UploadName(std::string_view filename) {
  const size_t slash = filename.find_last_of("/\\");
  if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
  if (filename.size() > 200) filename = filename.substr(filename.size() - 200);
  return filename.empty() ? std::string("upload") : std::string(filename);
}

}  // namespace

HttpResponse ValidateUpload(const HttpRequest& req) {
  Result<std::vector<FormPart>> parts = ParseMultipart(req.Header("content-type"), req.body);
  if (!parts.ok()) return JsonError(parts.status().code() == StatusCode::kUnsupported ? 415 : 400, parts.status().message());
  const FormPart* file = nullptr;
  const FormPart* profile_part = nullptr;
  for (const FormPart& p : *parts) {
    if (p.name == "file") file = &p;
    if (p.name == "profile") profile_part = &p;
  }
  if (file == nullptr) return JsonError(400, "multipart field \"file\" (the sample file) is missing");
  // Read from memory, as named by the client: nothing is written to disk,
  // and no error can name a server path.
  const std::string name = UploadName(file->filename);
  auto open = [&]() { return files::InputFile::FromMemory(std::string(file->data), name); };

  files::Profile profile;
  std::vector<std::string> notes;
  const bool sniffed = profile_part == nullptr || profile_part->data.empty();
  if (sniffed) {
    Result<std::unique_ptr<files::InputFile>> in = open();
    if (!in.ok()) return JsonError(422, in.status().message());
    Result<files::SniffResult> s = files::SniffInput(**in);
    if (!s.ok()) return JsonError(422, s.status().message());
    profile = s->profile;
    notes = s->notes;
  } else {
    Result<files::Profile> p = files::LoadProfileString(std::string(profile_part->data), "profile");
    if (!p.ok()) return JsonError(400, p.status().message());
    profile = std::move(p).value();
  }
  Result<std::unique_ptr<files::InputFile>> in = open();
  if (!in.ok()) return JsonError(422, in.status().message());
  files::ImportReport report = files::ValidateInput(**in, profile);
  JsonWriter w;
  w.BeginObject();
  w.Key("would_import").Bool(report.error_count == 0 || profile.skip_bad_rows);
  w.Key("sniffed").Bool(sniffed);
  w.Key("profile").String(files::ProfileToToml(profile));
  w.Key("notes").BeginArray();
  for (const auto& n : notes) w.String(n);
  w.EndArray();
  w.Key("report").Raw(report.ToJson());
  w.EndObject();
  return {200, "application/json", w.Take(), {}};
}

HttpResponse FilesJournal(store::Store& store, const Scope& scope, QueryParams& params) {
  store::FileQuery q;
  q.scope = scope;
  if (auto c = params.Text("connector"); !c.empty()) q.connector = std::string(c);
  const size_t limit = params.Limit("limit", q.limit, 1000);
  q.limit = limit + 1;  // one more: whether there are more
  if (auto before = params.Id("before")) q.before_id = *before;
  const bool with_report = params.Flag("report");
  if (params.error()) return ParamErrorResponse(*params.error());
  Result<std::vector<store::FileRecord>> files = store.ListFiles(q);
  if (!files.ok()) return StatusError(files.status());
  const bool truncated = files->size() > limit;
  if (truncated) files->resize(limit);
  JsonWriter w;
  w.BeginObject().Key("files").BeginArray();
  for (const store::FileRecord& f : *files) {
    w.BeginObject();
    w.Key("id").Int(f.id).Key("at").String(FormatIso8601(f.at)).Key("connector").String(f.connector);
    w.Key("path").String(f.path).Key("size").Int(f.size).Key("mtime").String(FormatIso8601(f.mtime_ms));
    w.Key("sha256").String(f.sha256).Key("status").String(f.status).Key("rows").Int(f.rows);
    w.Key("readings").Int(f.readings).Key("errors").Int(f.errors);
    if (with_report && !f.report_json.empty()) w.Key("report").Raw(f.report_json);
    w.EndObject();
  }
  w.EndArray().Key("truncated").Bool(truncated);
  if (truncated) w.Key("next_before").Int(files->back().id);
  w.EndObject();
  return {200, "application/json", w.Take(), {}};
}

}  // namespace telecollect::server
