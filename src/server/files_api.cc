#include "server/files_api.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/json_writer.h"
#include "core/multipart.h"
#include "files/file_parser.h"
#include "files/sniff.h"
#include "push/push_service.h"
#include "server/json_error.h"

namespace telecollect::server {
namespace {

// The upload as a temporary file (keeping its extension: it helps sniffing), removed after.
class TempUpload {
 public:
  TempUpload(std::string_view data, const std::string& filename) {
    std::string ext = std::filesystem::path(filename).extension().string();
    if (ext.size() > 10 || ext.find('/') != std::string::npos) ext.clear();
    if (ext == ".gz" || ext == ".zip") ext = std::filesystem::path(filename).stem().extension().string() + ext;
    std::string tmpl = (std::filesystem::temp_directory_path() / "telecollect-upload-XXXXXX").string() + ext;
    const int fd = mkstemps(tmpl.data(), static_cast<int>(ext.size()));
    if (fd < 0) return;
    const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
    ::close(fd);
    if (ok) path_ = tmpl;
    else ::unlink(tmpl.c_str());
  }
  ~TempUpload() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

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
  TempUpload upload(file->data, file->filename);
  if (upload.path().empty()) return JsonError(500, "cannot store the upload in the temporary directory");

  files::Profile profile;
  std::vector<std::string> notes;
  const bool sniffed = profile_part == nullptr || profile_part->data.empty();
  if (sniffed) {
    Result<files::SniffResult> s = files::SniffProfile(upload.path());
    if (!s.ok()) return JsonError(422, s.status().message());
    profile = s->profile;
    notes = s->notes;
  } else {
    Result<files::Profile> p = files::LoadProfileString(std::string(profile_part->data), "profile");
    if (!p.ok()) return JsonError(400, p.status().message());
    profile = std::move(p).value();
  }
  files::ImportReport report = files::ValidateFile(upload.path(), profile);
  report.file = file->filename.empty() ? "upload" : file->filename;
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

HttpResponse FilesJournal(store::Store& store, const Scope& scope, const std::map<std::string, std::string>& params) {
  store::FileQuery q;
  q.scope = scope;
  if (auto it = params.find("connector"); it != params.end()) q.connector = it->second;
  if (auto it = params.find("limit"); it != params.end()) {
    char* end = nullptr;
    const long v = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != 0 || v < 1 || v > 1000) return JsonError(400, "limit must be an integer from 1 to 1000");
    q.limit = static_cast<size_t>(v);
  }
  const auto report = params.find("report");
  const bool with_report = report != params.end() && report->second == "true";
  Result<std::vector<store::FileRecord>> files = store.ListFiles(q);
  if (!files.ok()) return JsonError(503, files.status().message());
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
  w.EndArray().EndObject();
  return {200, "application/json", w.Take(), {}};
}

}  // namespace telecollect::server
