#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "core/status.h"

namespace telecollect {

// Parses a TOML file; a syntax error says the file and line.
Result<toml::table> ParseTomlFile(const std::string& path);

// Reads typed keys out of one TOML table, remembering which were consumed so
// that leftovers (typos) are reported with their line. Errors name the key
// with its table prefix ("server.listen"). A missing key leaves `out` as is.
class TableReader {
 public:
  TableReader(const toml::table* table, std::string prefix) : table_(table), prefix_(std::move(prefix)) {}

  Status String(const char* key, std::string& out);
  Status Bool(const char* key, bool& out);
  Status Double(const char* key, double& out);  // integer or float
  template <typename Int>
  Status Integer(const char* key, Int& out, int64_t min_value) {
    const toml::node* n = Take(key);
    if (!n) return Status::Ok();
    if (!n->is_integer()) return TypeError(key, "an integer");
    const int64_t v = *n->value<int64_t>();
    if (v < min_value) return Status::InvalidArgument(Name(key) + " must be >= " + std::to_string(min_value));
    out = static_cast<Int>(v);
    return Status::Ok();
  }
  Status Duration(const char* key, int64_t& out_ms);  // "10s", "5m"
  Status StringArray(const char* key, std::vector<std::string>& out);
  // The raw node, marked as read (nullptr if absent).
  const toml::node* Node(const char* key) { return Take(key); }
  const toml::table* Table(const char* key);
  Status CheckTable(const char* key);
  Status Leftovers() const;

  std::string Name(const char* key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  Status TypeError(const char* key, const char* want) const {
    return Status::InvalidArgument(Name(key) + " must be " + want);
  }

 private:
  const toml::node* Take(const char* key);

  const toml::table* table_;
  std::string prefix_;
  std::set<std::string> taken_;
};

}  // namespace telecollect
