#include "files/file_parser.h"

namespace telecollect::files {
namespace {

class NullSink final : public ReadingSink {
 public:
  Status Add(const std::vector<ModuleDef>&, std::span<const Reading>) override { return Status::Ok(); }
};

}  // namespace


Status ParseFile(InputFile& file, const Profile& profile, ReadingSink& sink, ImportReport& report) {
  TC_ASSIGN_OR_RETURN(TimestampFormat format, TimestampFormat::Parse(profile.timestamp_format));
  TC_ASSIGN_OR_RETURN(Zone zone, Zone::Locate(profile.timezone));
  report.format = FormatName(profile.format);
  report.timezone = profile.timezone;
  report.bytes = static_cast<int64_t>(file.size());
  switch (file.compression()) {
    case InputFile::Compression::kNone: report.compression = "none"; break;
    case InputFile::Compression::kGzip: report.compression = "gzip"; break;
    case InputFile::Compression::kZip: report.compression = "zip"; break;
  }
  RowMapper mapper(profile, zone, format, sink, report);
  std::string part;
  int parts = 0;
  while (true) {
    TC_ASSIGN_OR_RETURN(bool more, file.NextPart(part));
    if (!more) break;
    ++parts;
    TextReader text(file, profile.encoding);
    Status s;
    switch (profile.format) {
      case Profile::Format::kCsv: s = ReadCsvPart(text, profile, part, mapper, report); break;
      case Profile::Format::kJson: case Profile::Format::kNdjson: s = ReadJsonPart(text, profile, part, mapper); break;
      case Profile::Format::kXml: s = ReadXmlPart(text, profile, part, mapper); break;
    }
    if (report.encoding.empty()) {
      report.encoding = EncodingName(text.encoding());
      report.bom = text.had_bom();
    }
    if (!s.ok()) return part.empty() ? s : s.WithContext(part);
  }
  if (parts == 0) return Status::InvalidArgument("the archive holds no file");
  return mapper.Flush();
}

std::string ReadFileInto(const std::string& path, const Profile& profile, ReadingSink& sink, ImportReport& report,
                         Status& file_error, bool hash) {
  report.file = path;
  report.profile = profile.name;
  Result<std::unique_ptr<InputFile>> file = InputFile::Open(path, hash);
  if (!file.ok()) {
    file_error = file.status();
    report.AddError({"", 0, "", file.status().message()});
    return "";
  }
  file_error = ParseFile(**file, profile, sink, report);
  if (!file_error.ok()) report.AddError({"", 0, "", file_error.message()});
  if (!hash) return "";
  Result<Sha256> digest = (*file)->Finish();
  return digest.ok() ? Sha256Hex(*digest) : "";
}

ImportReport ValidateFile(const std::string& local_path, const Profile& profile) {
  NullSink sink;
  ImportReport report;
  Status file_error;
  ReadFileInto(local_path, profile, sink, report, file_error, /*hash=*/false);
  return report;
}

ImportReport ValidateInput(InputFile& file, const Profile& profile) {
  NullSink sink;
  ImportReport report;
  report.file = file.path();
  report.profile = profile.name;
  Status s = ParseFile(file, profile, sink, report);
  if (!s.ok()) report.AddError({"", 0, "", s.message()});
  return report;
}

}  // namespace telecollect::files
