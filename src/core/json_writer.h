#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/time_util.h"

namespace telecollect {

// Appends `s` as a JSON string literal (quoted, escaped; invalid UTF-8 bytes
// are replaced by U+FFFD so the output is always valid JSON).
void AppendJsonString(std::string& out, std::string_view s);
// Shortest round-tripping form; NaN/Inf become null.
void AppendJsonNumber(std::string& out, double v);

// Streaming JSON builder for responses. Keys and commas are handled; the
// caller balances Begin/End.
class JsonWriter {
 public:
  JsonWriter& BeginObject() { Sep(); out_ += '{'; first_ = true; return *this; }
  JsonWriter& EndObject() { out_ += '}'; first_ = false; return *this; }
  JsonWriter& BeginArray() { Sep(); out_ += '['; first_ = true; return *this; }
  JsonWriter& EndArray() { out_ += ']'; first_ = false; return *this; }
  JsonWriter& Key(std::string_view k) { Sep(); AppendJsonString(out_, k); out_ += ':'; first_ = true; return *this; }
  JsonWriter& String(std::string_view v) { Sep(); AppendJsonString(out_, v); return *this; }
  JsonWriter& Number(double v) { Sep(); AppendJsonNumber(out_, v); return *this; }
  // An instant as a string, 2019-04-28T12:59:36.599Z (nothing in it to escape).
  JsonWriter& Time(EpochMs ms) {
    Sep();
    out_ += '"';
    AppendIso8601(out_, ms);
    out_ += '"';
    return *this;
  }
  JsonWriter& Int(int64_t v) {
    Sep();
    char digits[24];
    out_.append(digits, std::to_chars(digits, digits + sizeof digits, v).ptr);
    return *this;
  }
  JsonWriter& Bool(bool v) { Sep(); out_ += v ? "true" : "false"; return *this; }
  JsonWriter& Null() { Sep(); out_ += "null"; return *this; }
  JsonWriter& Raw(std::string_view json) { Sep(); out_ += json; return *this; }

  // Room for `bytes` more (a long answer grows once, not by doublings).
  void Reserve(size_t bytes) { out_.reserve(out_.size() + bytes); }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Sep() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  std::string out_;
  bool first_ = true;
};

}  // namespace telecollect
