#pragma once

#include <cstdint>
#include <limits>
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
  // An integer in [min_value, max_value]; max_value defaults to the largest `Int` holds, so a
  // value too big for the field is refused, never wrapped.
  template <typename Int>
  Status Integer(const char* key, Int& out, int64_t min_value,
                 int64_t max_value = LargestOf<Int>()) {
    const toml::node* n = Take(key);
    if (!n) return Status::Ok();
    if (!n->is_integer()) return TypeError(key, "an integer");
    const int64_t v = *n->value<int64_t>();
    if (v < min_value) return Status::InvalidArgument(Name(key) + " must be >= " + std::to_string(min_value));
    if (v > max_value) return Status::InvalidArgument(Name(key) + " must be <= " + std::to_string(max_value));
    out = static_cast<Int>(v);
    return Status::Ok();
  }
  template <typename Int>
  static constexpr int64_t LargestOf() {
    return std::numeric_limits<Int>::digits >= 63 ? std::numeric_limits<int64_t>::max()
                                                  : static_cast<int64_t>(std::numeric_limits<Int>::max());
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
