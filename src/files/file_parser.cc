#include "files/file_parser.h"

namespace telecollect::files {

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
      case Profile::Format::kJson: case Profile::Format::kNdjson: s = ReadJsonPart(text, profile, part, mapper, report); break;
      case Profile::Format::kXml: s = ReadXmlPart(text, profile, part, mapper, report); break;
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

}  // namespace telecollect::files
