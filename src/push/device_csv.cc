#include "push/device_csv.h"

#include <map>

#include "decode/decoder.h"

namespace telecollect::push {
namespace {

// Splits one line into fields; `col_error` gets the 1-based column of a quoting error.
bool SplitLine(std::string_view line, char sep, std::vector<std::string>& out, size_t& col_error) {
  out.clear();
  std::string cur;
  size_t i = 0;
  bool field_start = true;
  while (i <= line.size()) {
    if (i == line.size()) {
      out.push_back(std::move(cur));
      return true;
    }
    const char c = line[i];
    if (field_start && c == '"') {
      const size_t quote_column = i + 1;
      ++i;
      while (true) {
        if (i >= line.size()) {
          col_error = quote_column;
          return false;  // unterminated quote
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cur += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cur += line[i++];
      }
      if (i < line.size() && line[i] != sep) {
        col_error = i + 1;
        return false;  // text after a closing quote
      }
      field_start = false;
      continue;
    }
    if (c == sep) {
      out.push_back(std::move(cur));
      cur.clear();
      field_start = true;
    } else {
      cur += c;
      field_start = false;
    }
    ++i;
  }
  return true;
}

std::string Trim(std::string s) {
  size_t a = 0, e = s.size();
  while (a < e && (s[a] == ' ' || s[a] == '\t')) ++a;
  while (e > a && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(a, e - a);
}

}  // namespace

Result<std::vector<store::Device>> ParseDeviceCsv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<store::Device> out;
  std::map<std::string, size_t> columns;
  char sep = ',';
  std::vector<std::string> fields;
  size_t line_no = 0, pos = 0;
  bool header_done = false;
  // Every bad data line is named (up to kMaxListed), so that a file is fixed in one go.
  constexpr size_t kMaxListed = 100;
  std::string errors;
  size_t bad = 0;
  auto fail = [&](std::string why) {
    if (++bad <= kMaxListed) errors += "\n" + why;
  };
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string where = "line " + std::to_string(line_no);
    if (!header_done) {
      sep = line.find(';') != std::string_view::npos && line.find(',') == std::string_view::npos ? ';' : ',';
    }
    size_t col_error = 0;
    if (!SplitLine(line, sep, fields, col_error)) {
      if (!header_done) {
        return Status::InvalidArgument(where + ", column " + std::to_string(col_error) + ": badly quoted field");
      }
      fail(where + ", column " + std::to_string(col_error) + ": badly quoted field");
      continue;
    }
    if (!header_done) {
      for (size_t i = 0; i < fields.size(); ++i) {
        std::string name = Trim(fields[i]);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name != "deviceid" && name != "devicetype" && name != "label" && name != "module") {
          return Status::InvalidArgument(where + ", column " + std::to_string(i + 1) + ": unknown column \"" + name +
                                         "\" (deviceid, devicetype, label, module)");
        }
        if (!columns.emplace(name, i).second) {
          return Status::InvalidArgument(where + ": column \"" + name + "\" appears twice");
        }
      }
      if (!columns.count("deviceid")) return Status::InvalidArgument(where + ": the header needs a deviceid column");
      header_done = true;
      continue;
    }
    if (fields.size() != columns.size()) {
      fail(where + ": " + std::to_string(fields.size()) + " fields, the header has " + std::to_string(columns.size()));
      continue;
    }
    store::Device d;
    d.device_id = Trim(fields[columns["deviceid"]]);
    if (d.device_id.empty()) {
      fail(where + ", column " + std::to_string(columns["deviceid"] + 1) + ": empty deviceid");
      continue;
    }
    if (auto it = columns.find("devicetype"); it != columns.end()) {
      d.device_type = decode::NormalizeDeviceType(fields[it->second]);
    }
    if (auto it = columns.find("label"); it != columns.end()) d.label = Trim(fields[it->second]);
    if (auto it = columns.find("module"); it != columns.end()) {
      d.module_template = Trim(fields[it->second]);
      if (!d.module_template.empty() && d.module_template.find("{field}") == std::string::npos) {
        fail(where + ", column " + std::to_string(it->second + 1) + ": module template must contain {field}");
        continue;
      }
    }
    out.push_back(std::move(d));
  }
  if (!header_done) return Status::InvalidArgument("empty file: expected a header line (deviceid,devicetype,label)");
  if (bad > 0) {
    if (bad > kMaxListed) errors += "\n(and " + std::to_string(bad - kMaxListed) + " more)";
    return Status::InvalidArgument(std::to_string(bad) + (bad == 1 ? " bad line" : " bad lines") +
                                   ", nothing imported:" + errors);
  }
  return out;
}

}  // namespace telecollect::push
