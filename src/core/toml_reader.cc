#include "core/toml_reader.h"

#include "core/time_util.h"

namespace telecollect {

const toml::node* TableReader::Take(const char* key) {
  if (!table_) return nullptr;
  taken_.insert(key);
  return table_->get(key);
}

Status TableReader::String(const char* key, std::string& out) {
  const toml::node* n = Take(key);
  if (!n) return Status::Ok();
  if (!n->is_string()) return TypeError(key, "a string");
  out = *n->value<std::string>();
  return Status::Ok();
}

Status TableReader::Bool(const char* key, bool& out) {
  const toml::node* n = Take(key);
  if (!n) return Status::Ok();
  if (!n->is_boolean()) return TypeError(key, "true or false");
  out = *n->value<bool>();
  return Status::Ok();
}

Status TableReader::Double(const char* key, double& out) {
  const toml::node* n = Take(key);
  if (!n) return Status::Ok();
  if (!n->is_number()) return TypeError(key, "a number");
  out = *n->value<double>();
  return Status::Ok();
}

Status TableReader::Duration(const char* key, int64_t& out_ms) {
  const toml::node* n = Take(key);
  if (!n) return Status::Ok();
  if (!n->is_string()) return TypeError(key, "a duration string such as \"10s\"");
  auto d = ParseDurationMs(*n->value<std::string>());
  if (!d.ok()) return d.status().WithContext(Name(key));
  out_ms = *d;
  return Status::Ok();
}

Status TableReader::StringArray(const char* key, std::vector<std::string>& out) {
  const toml::node* n = Take(key);
  if (!n) return Status::Ok();
  const toml::array* arr = n->as_array();
  if (!arr) return TypeError(key, "an array of strings");
  out.clear();
  for (const auto& e : *arr) {
    if (!e.is_string()) return TypeError(key, "an array of strings");
    out.push_back(*e.value<std::string>());
  }
  return Status::Ok();
}

const toml::table* TableReader::Table(const char* key) {
  const toml::node* n = Take(key);
  return n ? n->as_table() : nullptr;
}

Status TableReader::CheckTable(const char* key) {
  const toml::node* n = table_ ? table_->get(key) : nullptr;
  if (n && !n->is_table()) return TypeError(key, "a table");
  return Status::Ok();
}

Result<toml::table> ParseTomlFile(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(path + ": line " + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
}

Status TableReader::Leftovers() const {
  if (!table_) return Status::Ok();
  for (const auto& [k, v] : *table_) {
    if (!taken_.count(std::string(k.str()))) {
      return Status::InvalidArgument("unknown key " + Name(std::string(k.str()).c_str()) + " (line " +
                                     std::to_string(v.source().begin.line) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace telecollect
