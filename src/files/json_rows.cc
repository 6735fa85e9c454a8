// The JSON / NDJSON format reader. A streaming scanner finds the records (the
// elements of the array at the profile's `records` path, "*" matching any key
// or index on the way), copies each record's text out and parses it alone with
// simdjson: memory is bounded by the largest record, not the document. Scalar
// members of the objects enclosing the records, when they come before the
// records array, are kept for "../name" fields.
#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <map>

#include <fmt/format.h>
#include <simdjson.h>

#include "files/block64.h"
#include "files/file_parser.h"
#include "files/json_flat_object.h"
#include "files/number_format.h"

namespace telecollect::files {
namespace {

namespace dom = simdjson::dom;

constexpr size_t kMaxRecordBytes = 16 << 20;

constexpr std::array<bool, 256> Stops(std::string_view chars) {
  std::array<bool, 256> t{};
  for (const char c : chars) t[static_cast<unsigned char>(c)] = true;
  return t;
}
// The bytes that matter while copying a record out: inside a string, inside
// the record's containers, and at its top level (where a scalar record ends).
constexpr std::array<bool, 256> kStopsInString = Stops("\\\"\n");
constexpr std::array<bool, 256> kStopsInContainer = Stops("\"{}[]\n");
constexpr std::array<bool, 256> kStopsAtTop = Stops("\"{}[]\n, \r\t");
constexpr size_t kMaxKeptScalars = 256;

// A field path: levels up ("../"), then a JSON pointer inside that object.
struct JsonPath {
  int up = 0;
  std::string pointer;  // "" = the object itself
  std::string text;     // as written, for messages
  std::string key;      // when the pointer is one plain member ("/name"): looked up by key, faster
  int slot = -1;        // for such a key: its place among the members found in one pass (JsonScanner::FindMembers)
};

JsonPath ParsePath(const std::string& name) {
  JsonPath p;
  p.text = name;
  std::string_view s = name;
  while (s.substr(0, 3) == "../") {
    ++p.up;
    s.remove_prefix(3);
  }
  if (s.empty() || s == ".") return p;
  if (s.front() == '/') {
    p.pointer = std::string(s);
    if (p.pointer.find_first_of("/~", 1) == std::string::npos) p.key = p.pointer.substr(1);
    return p;
  }
  // Dotted: a.b.c → /a/b/c (escaping ~ and / as RFC 6901 says).
  p.pointer = "/";
  for (char c : s) {
    if (c == '.') p.pointer += '/';
    else if (c == '~') p.pointer += "~0";
    else if (c == '/') p.pointer += "~1";
    else p.pointer += c;
  }
  if (p.pointer.find_first_of("/~", 1) == std::string::npos) p.key = p.pointer.substr(1);
  return p;
}

JsonValue FromDom(dom::element e) {
  JsonValue v;
  switch (e.type()) {
    case dom::element_type::STRING: v.kind = JsonValue::Kind::kString; v.text = e.get_string().value_unsafe(); break;
    case dom::element_type::INT64:
      v.kind = JsonValue::Kind::kInt64;
      v.i64 = e.get_int64().value_unsafe();
      v.number = static_cast<double>(v.i64);
      break;
    case dom::element_type::UINT64:
      v.kind = JsonValue::Kind::kUint64;
      v.u64 = e.get_uint64().value_unsafe();
      v.number = static_cast<double>(v.u64);
      break;
    case dom::element_type::DOUBLE: v.kind = JsonValue::Kind::kDouble; v.number = e.get_double().value_unsafe(); break;
    case dom::element_type::BOOL: v.kind = e.get_bool().value_unsafe() ? JsonValue::Kind::kTrue : JsonValue::Kind::kFalse; break;
    case dom::element_type::NULL_VALUE: v.kind = JsonValue::Kind::kNull; break;
    default: v.kind = JsonValue::Kind::kObjectOrArray;
  }
  return v;
}

std::vector<std::string> SplitPattern(std::string_view records) {
  std::vector<std::string> out;
  if (!records.empty() && records.front() == '/') records.remove_prefix(1);
  while (!records.empty()) {
    const size_t slash = records.find('/');
    out.emplace_back(records.substr(0, slash));
    if (slash == std::string_view::npos) break;
    records.remove_prefix(slash + 1);
  }
  return out;
}

class JsonScanner {
 public:
  JsonScanner(TextReader& text, const Profile& profile, std::string_view part, RowMapper& mapper)
      : text_(text), profile_(profile), part_(part), mapper_(mapper) {
    pattern_ = SplitPattern(profile.records);
    ndjson_ = profile.format == Profile::Format::kNdjson;
    for (const FieldRef& t : profile.timestamp) ts_paths_.push_back(ParsePath(t.name));
    if (profile.layout == Profile::Layout::kLong) {
      module_ = ParsePath(profile.module.name);
      value_ = ParsePath(profile.value.name);
      if (!profile.unit_field.empty()) unit_ = ParsePath(profile.unit_field.name);
    }
    if (!profile.interval_field.empty()) interval_ = ParsePath(profile.interval_field.name);
    if (!profile.skip_records_with.empty()) skip_ = ParsePath(profile.skip_records_with);
    for (const FieldRef& c : profile.columns) columns_.push_back(ParsePath(c.name));
    for (JsonPath* p : {&module_, &value_, &unit_, &interval_, &skip_}) AssignSlot(*p);
    for (JsonPath& p : ts_paths_) AssignSlot(p);
    const auto from_slot = [](const JsonPath& p) { return p.text.empty() || p.up > 0 || p.slot >= 0; };
    flat_ok_ = from_slot(module_) && from_slot(value_) && from_slot(unit_) && from_slot(interval_) && from_slot(skip_) &&
               std::all_of(ts_paths_.begin(), ts_paths_.end(), from_slot) &&
               std::all_of(columns_.begin(), columns_.end(), [](const JsonPath& p) { return !p.key.empty(); });
    std::string ts_name;
    for (const auto& t : ts_paths_) ts_name += (ts_name.empty() ? "" : " + ") + t.text;
    mapper.SetFieldNames(module_.text, value_.text, ts_name);
  }

  Status Run();

 private:
  // The record fields that are plain members ("/name") are found in one pass
  // over the record's members (FindMembers) rather than one search each.
  static constexpr size_t kMaxSlots = 8;
  void AssignSlot(JsonPath& p) {
    if (p.key.empty() || p.up > 0) return;
    for (size_t i = 0; i < slot_keys_.size(); ++i) {
      if (slot_keys_[i] == p.key) {
        p.slot = static_cast<int>(i);
        return;
      }
    }
    if (slot_keys_.size() == kMaxSlots) return;
    p.slot = static_cast<int>(slot_keys_.size());
    slot_keys_.push_back(p.key);
  }
  // Points members_ at the record's members that fill slots (null: not in
  // the record): of duplicate keys, the first (as simdjson's at_key).
  void FindFlatMembers() {
    members_.fill(nullptr);
    size_t left = slot_keys_.size();
    for (const JsonMember& m : flat_) {
      for (size_t i = 0; i < slot_keys_.size(); ++i) {
        if (members_[i] != nullptr || !SameText(m.key, slot_keys_[i])) continue;
        members_[i] = &m.value;
        --left;
        break;
      }
      if (left == 0) break;
    }
  }
  void FindDomMembers(dom::object obj) {
    members_.fill(nullptr);
    size_t left = slot_keys_.size();
    for (dom::key_value_pair kv : obj) {
      for (size_t i = 0; i < slot_keys_.size(); ++i) {
        if (members_[i] != nullptr || !SameText(kv.key, slot_keys_[i])) continue;
        dom_values_[i] = FromDom(kv.value);
        members_[i] = &dom_values_[i];
        --left;
        break;
      }
      if (left == 0) break;
    }
  }
  std::vector<std::string> slot_keys_;
  std::array<const JsonValue*, kMaxSlots> members_{};  // the current record's (EmitRecord)
  std::array<JsonValue, kMaxSlots> dom_values_;         // a record read by simdjson: its members' values
  // Records that are flat objects (json_flat_object.h) are read without
  // simdjson when every field the profile reads from a record fills a slot
  // or is a listed wide column of one plain key (flat_ok_): flat_ holds the
  // current one's members.
  bool flat_ok_ = false;
  std::vector<JsonMember> flat_;

  struct Frame {
    bool is_object = false;
    bool expect_key = true;        // objects: next string is a key
    // What the last token was: nothing yet, a member or element (',' or the
    // closing bracket comes next), or a ',' (a member or element comes next).
    enum class Last { kOpen, kValue, kComma } last = Last::kOpen;
    std::string key;               // objects: current member's key
    int64_t index = -1;            // arrays: current element index
    bool on_path = false;          // this container lies on the way to the records
    std::map<std::string, std::string, std::less<>> scalars;  // objects on the path: raw scalar members
  };

  // The component the next value at the top frame would add to the path.
  bool NextValueMatches() const;
  bool IsRecordLevel() const { return stack_.size() == depth_base_ + pattern_.size() + (records_are_elements_ ? 1 : 0); }
  Status Fill();
  Result<bool> Peek(char& c);  // skips whitespace
  Status ReadString(std::string* out);
  Status SkipScalar(std::string* out);
  Status CaptureValue();  // copies one whole value into record_
  // Queues the records that follow at pos_ as long as they are objects or
  // arrays found 64 bytes at a time in the buffered text; how many (0: read
  // the next one with CaptureValue). See the definition for where it stops.
  Result<size_t> QueueRecordsInBulk();
  // Reads the flat records (json_flat_object.h) that follow at pos_ in the
  // buffered text where they stand, with one comma and whitespace between
  // them, and emits them; how many (0: the next record is not flat, or the
  // batch holds records, or it is NDJSON). Stops before anything else.
  Result<size_t> ReadFlatRecords();
  // Reads a flat record at once (see flat_ok_), or queues it in the batch.
  Status AddToBatch(std::string_view record, int64_t line);
  // Records are parsed ~256 KiB at a time as one array (one simdjson run for
  // thousands of small records); a batch that does not parse is parsed record
  // by record, so that the bad one is reported on its own line.
  Status QueueRecord();
  Status FlushBatch();
  // `rec` is the record as simdjson read it, or null for a flat one (flat_).
  Status EmitRecord(const dom::element* rec, int64_t line);
  Status EmitInvalid(int64_t line, const char* why);
  Status Fail(const std::string& what) const {
    return Status::InvalidArgument(fmt::format("line {}: {}", line_, what));
  }
  void ValueDone();

  // Field extraction from the parsed record.
  // `number`: for a value field, receives a JSON number directly (then `out` is empty).
  bool Lookup(const dom::element* rec, const JsonPath& path, std::string_view& out, bool& is_number, std::string& storage,
              double* number = nullptr);

  TextReader& text_;
  const Profile& profile_;
  std::string_view part_;
  RowMapper& mapper_;
  std::vector<std::string> pattern_;
  bool ndjson_ = false;
  bool records_are_elements_ = true;
  size_t depth_base_ = 0;
  JsonPath module_, value_, unit_, interval_, skip_;
  std::vector<JsonPath> ts_paths_, columns_;

  std::string buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  int64_t line_ = 1;
  std::vector<Frame> stack_;
  std::string record_;
  int64_t record_line_ = 0;
  std::string batch_;                                // "[" record "," record ...
  std::vector<int64_t> batch_lines_;                 // each queued record's first line
  std::vector<std::pair<size_t, size_t>> batch_spans_;  // each record's bytes in batch_
  // One parser per thread, kept across documents: its buffers are allocated once,
  // not for every small document (an API answer).
  static dom::parser& Parser() {
    thread_local dom::parser parser;
    return parser;
  }
  size_t fill_ = 32 << 10;  // the next read's size (Fill)
  std::string ts_storage_[4], module_storage_, value_storage_, unit_storage_, interval_storage_, skip_storage_;
  std::vector<std::string> cell_storage_;
  // Wide layout: dotted names of nested members ("values.temp"), this record's;
  // a deque, so that the cells' views stay valid as names are added.
  std::deque<std::string> nested_names_;
};

Status JsonScanner::Fill() {
  if (pos_ > 0) {
    // The unread bytes to the front; the buffer keeps its size (bytes past end_
    // are stale), so that growing it back does not zero-fill what is read over.
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  // Reads grow from 64 KiB to 1 MiB: small documents (API answers) stay cheap.
  fill_ = std::min<size_t>(fill_ * 2, 1 << 20);
  buf_.resize(std::max<size_t>(end_ + fill_, buf_.size()));
  TC_ASSIGN_OR_RETURN(size_t got, text_.Read(buf_.data() + end_, buf_.size() - end_));
  if (got == 0) eof_ = true;
  end_ += got;
  return Status::Ok();
}

Result<bool> JsonScanner::Peek(char& c) {
  while (true) {
    while (pos_ < end_) {
      const char x = buf_[pos_];
      if (x == '\n' && ndjson_ && !stack_.empty()) {
        // An NDJSON line ended inside its document: that line's error.
        Row row;
        row.part = part_;
        row.line = line_;
        row.missing = "the line ends before its JSON document closes";
        stack_.clear();
        TC_RETURN_IF_ERROR(mapper_.Map(row));
      }
      if (x == '\n') ++line_;
      else if (x != ' ' && x != '\t' && x != '\r') {
        c = x;
        return true;
      }
      ++pos_;
    }
    if (eof_) return false;
    TC_RETURN_IF_ERROR(Fill());
  }
}

// Reads a string token (pos_ at its opening quote), unescaped into `out` when given.
Status JsonScanner::ReadString(std::string* out) {
  ++pos_;
  std::string raw;
  while (true) {
    if (pos_ >= end_) {
      if (eof_) return Fail("unterminated string");
      TC_RETURN_IF_ERROR(Fill());
      continue;
    }
    const char c = buf_[pos_++];
    if (c == '"') break;
    if (c == '\n') return Fail("newline inside a string");
    raw += c;
    if (c == '\\') {
      if (pos_ >= end_) TC_RETURN_IF_ERROR(Fill());
      if (pos_ >= end_) return Fail("unterminated string");
      raw += buf_[pos_++];
    }
  }
  if (out != nullptr) {
    // Let simdjson unescape (and validate) it.
    std::string doc = "\"" + raw + "\"";
    dom::element e;
    if (Parser().parse(doc).get(e) != simdjson::SUCCESS) return Fail("invalid string escape");
    *out = std::string(e.get_string().value_unsafe());
  }
  return Status::Ok();
}

Status JsonScanner::SkipScalar(std::string* out) {
  if (out) out->clear();
  while (true) {
    while (pos_ < end_) {
      const char c = buf_[pos_];
      if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        if (out && out->empty()) return Fail("expected a value");
        return Status::Ok();
      }
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' || c == '.' || c == 'E'))
        return Fail(fmt::format("unexpected character '{}'", c));
      if (out) *out += c;
      ++pos_;
    }
    if (eof_) return Status::Ok();
    TC_RETURN_IF_ERROR(Fill());
  }
}

Status JsonScanner::CaptureValue() {
  record_.clear();
  record_line_ = line_;
  int depth = 0;
  bool in_string = false, escape = false;
  while (true) {
    if (pos_ >= end_) {
      if (eof_) {
        if (depth == 0 && !in_string && !record_.empty()) return Status::Ok();
        return Fail(fmt::format("the document ends inside the record that starts at line {}", record_line_));
      }
      TC_RETURN_IF_ERROR(Fill());
      continue;
    }
    // Copy a run of bytes at once; stop at what changes state.
    const size_t start = pos_;
    while (pos_ < end_) {
      if (!escape) {
        // Skip the bytes that change nothing in the current state, one table lookup each.
        const bool* stops = in_string ? kStopsInString.data() : depth > 0 ? kStopsInContainer.data() : kStopsAtTop.data();
        while (pos_ < end_ && !stops[static_cast<unsigned char>(buf_[pos_])]) ++pos_;
        if (pos_ >= end_) break;
      }
      const char c = buf_[pos_];
      if (in_string) {
        if (escape) escape = false;
        else if (c == '\\') escape = true;
        else if (c == '"') in_string = false;
        else if (c == '\n') break;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0) break;  // closes the enclosing container: a scalar record ended
        if (--depth == 0) {
          ++pos_;
          record_.append(buf_, start, pos_ - start);
          return Status::Ok();
        }
      } else if (depth == 0 && (c == ',' || c == '\n' || c == ' ' || c == '\r' || c == '\t')) {
        break;
      } else if (c == '\n') {
        if (ndjson_) break;  // an NDJSON record ends with its line, complete or not
        ++line_;
      }
      ++pos_;
    }
    record_.append(buf_, start, pos_ - start);
    if (record_.size() > kMaxRecordBytes) return Fail("record larger than 16 MiB");
    if (record_.empty() && pos_ < end_) return Fail(fmt::format("expected a value, found '{}'", buf_[pos_]));
    if (pos_ < end_) {
      // A truncated NDJSON line is that record's error (the parse fails); in a
      // JSON document a raw newline inside a string breaks the whole document.
      if (in_string && !ndjson_) return Fail("newline inside a string");
      return Status::Ok();
    }
  }
}

#if defined(__SSE2__)
namespace {
// Bit i set when an odd number of bits 0..i are set in m: inside a string
// from its opening quote up to (not including) its closing one.
inline uint64_t PrefixXor(uint64_t m) {
  m ^= m << 1;
  m ^= m << 2;
  m ^= m << 4;
  m ^= m << 8;
  m ^= m << 16;
  m ^= m << 32;
  return m;
}
// Bit i set where block[i] is a bracket or a comma, and for a few bytes that
// only strings hold in valid JSON ('Y', 'y', '_', DEL; the caller checks):
// OR 0x20 folds [ ] onto { }, AND ~0x06 folds { } together, onto 0x79.
inline uint64_t BracketsAndCommas(const Block64& block) {
  const __m128i fold_or = _mm_set1_epi8(0x20), fold_and = _mm_set1_epi8(static_cast<char>(0xF9)),
                bracket = _mm_set1_epi8(0x79), comma = _mm_set1_epi8(',');
  return block.Mask([&](__m128i x) {
    return _mm_or_si128(_mm_cmpeq_epi8(_mm_and_si128(_mm_or_si128(x, fold_or), fold_and), bracket), _mm_cmpeq_epi8(x, comma));
  });
}
// Set bits of a sparse mask (newlines in a block: a few at most).
inline int64_t CountSparse(uint64_t m) {
  int64_t n = 0;
  for (; m != 0; m &= m - 1) ++n;
  return n;
}
}  // namespace
#endif

// A JSON array's records, found the way simdjson finds structure: per block of
// 64 bytes, bit masks of quotes, brackets, commas and newlines; strings by the
// parity of quotes (so a block with a backslash, maybe an escaped quote, ends
// the bulk read). Between records only whitespace and one comma may stand.
// Stops, after the last whole record, at anything else: the array's end, a
// scalar record, an escape, a newline inside a string, the buffer's end. NDJSON
// is left to CaptureValue (its lines end records, truncated or not).
Result<size_t> JsonScanner::QueueRecordsInBulk() {
  size_t queued = 0;
#if defined(__SSE2__)
  if (ndjson_) return queued;
  const char* b = buf_.data();
  int depth = 0;
  uint64_t carry = 0;            // all ones when the last block ended inside a string
  bool comma = true;             // between records: the separator was read (the caller read the one before the first)
  size_t gap = pos_;             // between records: where the bytes since the last record start
  size_t record_start = pos_;
  int64_t record_line = line_;
  int64_t lines = line_;         // the line at the start of the block
  size_t done = pos_;            // just after the last record queued, and its line
  int64_t done_line = line_;
  const auto below = [](int bit) { return (uint64_t{1} << bit) - 1; };
  const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  for (size_t at = pos_; at + 64 <= end_; at += 64) {
    const Block64 block(b + at);
    if (block.Eq('\\') != 0) break;
    const uint64_t quoted = PrefixXor(block.Eq('"')) ^ carry;
    carry = (quoted >> 63) != 0 ? ~uint64_t{0} : 0;
    const uint64_t newline = block.Eq('\n');
    if ((newline & quoted) != 0) break;
    bool stop = false;
    uint64_t events = BracketsAndCommas(block) & ~quoted;
    for (; events != 0 && !stop; events &= events - 1) {
      const int bit = __builtin_ctzll(events);
      const size_t p = at + static_cast<size_t>(bit);
      const char c = b[p];
      if (c != '{' && c != '}' && c != '[' && c != ']' && c != ',') {
        stop = true;  // not JSON outside a string: CaptureValue and simdjson say where
        break;
      }
      if (depth > 0) {
        if (c == '{' || c == '[') ++depth;
        else if (c != ',' && --depth == 0) {
          TC_RETURN_IF_ERROR(AddToBatch(std::string_view(b + record_start, p + 1 - record_start), record_line));
          ++queued;
          comma = false;
          gap = done = p + 1;
          done_line = lines + CountSparse(newline & below(bit));
        }
        continue;
      }
      stop = !std::all_of(b + gap, b + p, is_space);
      if (stop) break;
      if (c == ',') {
        stop = comma;
        comma = true;
        gap = p + 1;
      } else if ((c == '{' || c == '[') && comma) {
        depth = 1;
        record_start = p;
        record_line = lines + CountSparse(newline & below(bit));
      } else {
        stop = true;  // the array's end, or not a record: the caller's
      }
    }
    if (stop) break;
    lines += CountSparse(newline);
  }
  // The bytes read past the last record queued are read again by the caller.
  pos_ = done;
  line_ = done_line;
#endif
  return queued;
}

bool JsonScanner::NextValueMatches() const {
  // The path of the value about to be read: components of frames from depth_base_.
  const size_t level = stack_.size() - depth_base_;  // index in the pattern of the top frame's child
  if (level == 0) return true;                        // the top-level value itself
  const Frame& top = stack_.back();
  if (!top.on_path) return false;
  const size_t i = level - 1;
  if (i < pattern_.size()) {
    const std::string& want = pattern_[i];
    if (want == "*") return true;
    return top.is_object ? top.key == want : std::to_string(top.index) == want;
  }
  return i == pattern_.size() && records_are_elements_;
}

void JsonScanner::ValueDone() {
  if (stack_.empty()) return;
  Frame& top = stack_.back();
  top.last = Frame::Last::kValue;
}

bool JsonScanner::Lookup(const dom::element* rec, const JsonPath& path, std::string_view& out, bool& is_number,
                         std::string& storage, double* number) {
  is_number = false;
  if (path.up > 0) {
    // Enclosing objects on the path, innermost first.
    int up = path.up;
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      if (!it->is_object) continue;
      if (--up > 0) continue;
      const std::string key = path.pointer.empty() ? "" : path.pointer.substr(1);
      const auto found = it->scalars.find(key);
      if (found == it->scalars.end()) return false;
      storage = found->second;
      // Kept raw: strings with their quotes.
      if (storage.size() >= 2 && storage.front() == '"') {
        storage = storage.substr(1, storage.size() - 2);
      } else {
        is_number = storage != "true" && storage != "false" && storage != "null";
        if (storage == "null") storage.clear();
      }
      out = storage;
      return true;
    }
    return false;
  }
  // The field is pointed to, not copied: a copy made up front and then
  // replaced costs a store-to-load stall on every field.
  JsonValue from_dom;
  const JsonValue* f = &from_dom;
  if (path.slot >= 0) {  // EmitRecord found the record's members first
    f = members_[static_cast<size_t>(path.slot)];
    if (f == nullptr) return false;
  } else {
    if (rec == nullptr) return false;  // not reached: flat records are read only when every path has a slot
    dom::element e;
    if (!path.key.empty()) {
      dom::object obj;
      if (rec->get_object().get(obj) != simdjson::SUCCESS || obj.at_key(path.key).get(e) != simdjson::SUCCESS) return false;
    } else if (path.pointer.empty()) {
      e = *rec;
    } else if (rec->at_pointer(path.pointer).get(e) != simdjson::SUCCESS) {
      return false;
    }
    from_dom = FromDom(e);
  }
  const JsonValue& v = *f;
  switch (v.kind) {
    case JsonValue::Kind::kObjectOrArray: storage = "<object or array>"; out = storage; return true;
    case JsonValue::Kind::kString: out = v.text; return true;
    case JsonValue::Kind::kNull: out = {}; return true;
    case JsonValue::Kind::kTrue: case JsonValue::Kind::kFalse: {
      const bool yes = v.kind == JsonValue::Kind::kTrue;
      is_number = true;
      if (number != nullptr) {  // a value field: 1 or 0 (the caller reads `number`, not `out`)
        *number = yes ? 1 : 0;
        out = {};
      } else {
        out = yes ? "1" : "0";
      }
      return true;
    }
    case JsonValue::Kind::kInt64: case JsonValue::Kind::kUint64: case JsonValue::Kind::kDouble: break;
  }
  is_number = true;
  if (number != nullptr) {
    // The value itself: no text round trip.
    *number = v.number;
    out = {};
    return true;
  }
  if (v.kind == JsonValue::Kind::kDouble) storage = fmt::format("{}", v.number);
  else if (v.kind == JsonValue::Kind::kInt64) storage = std::to_string(v.i64);
  else storage = std::to_string(v.u64);
  out = storage;
  return true;
}

Status JsonScanner::EmitInvalid(int64_t line, const char* why) {
  Row row;
  row.part = part_;
  row.line = line;
  row.missing = why;
  return mapper_.Map(row);
}

Status JsonScanner::AddToBatch(std::string_view record, int64_t line) {
  // A flat record is read on its own, in order: only when no record waits in
  // the batch. So records that are not flat fill a whole batch for simdjson
  // (one attempt at the flat reading per batch), and flat ones skip it.
  if (flat_ok_ && batch_lines_.empty() && ParseFlatJsonObject(record, flat_)) return EmitRecord(nullptr, line);
  batch_ += batch_.empty() ? '[' : ',';
  batch_spans_.emplace_back(batch_.size(), record.size());
  batch_ += record;
  batch_lines_.push_back(line);
  if (batch_.size() >= (256u << 10)) return FlushBatch();
  return Status::Ok();
}

Result<size_t> JsonScanner::ReadFlatRecords() {
  size_t read = 0;
  if (!flat_ok_ || ndjson_ || !batch_lines_.empty()) return read;
  const char* const b = buf_.data();
  size_t at = pos_;  // where a record is expected, after whitespace
  int64_t line = line_;
  const auto skip_space = [&] {
    for (; at < end_; ++at) {
      const char c = b[at];
      if (c == '\n') ++line;
      else if (c != ' ' && c != '\r' && c != '\t') break;
    }
  };
  while (true) {
    skip_space();
    if (at >= end_ || b[at] != '{') break;
    int64_t inner_lines = 0;
    const size_t length = ReadFlatJsonObject(std::string_view(b + at, end_ - at), flat_, inner_lines);
    if (length == 0) break;
    TC_RETURN_IF_ERROR(EmitRecord(nullptr, line));
    ++read;
    at += length;
    line += inner_lines;
    pos_ = at;  // just after the last record read
    line_ = line;
    skip_space();
    if (at >= end_ || b[at] != ',') break;
    ++at;
  }
  return read;
}

Status JsonScanner::QueueRecord() {
  TC_ASSIGN_OR_RETURN(size_t queued, ReadFlatRecords());
  if (queued == 0) {
    TC_ASSIGN_OR_RETURN(size_t bulk, QueueRecordsInBulk());
    queued = bulk;
  }
  if (queued > 0) {
    if (!stack_.empty() && !stack_.back().is_object) stack_.back().index += static_cast<int64_t>(queued) - 1;
    return Status::Ok();
  }
  TC_RETURN_IF_ERROR(CaptureValue());
  return AddToBatch(record_, record_line_);
}

Status JsonScanner::FlushBatch() {
  if (batch_lines_.empty()) return Status::Ok();
  batch_ += ']';
  const size_t len = batch_.size();
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: give it room, no copy.
  if (batch_.capacity() < len + simdjson::SIMDJSON_PADDING) batch_.reserve(len + simdjson::SIMDJSON_PADDING);
  dom::array all;
  Status s;
  if (Parser().parse(batch_.data(), len, false).get_array().get(all) == simdjson::SUCCESS &&
      all.size() == batch_lines_.size()) {
    size_t i = 0;
    for (dom::element rec : all) {
      s = EmitRecord(&rec, batch_lines_[i++]);
      if (!s.ok()) break;
    }
  } else {
    std::string one;
    for (size_t i = 0; i < batch_lines_.size() && s.ok(); ++i) {
      one.assign(batch_, batch_spans_[i].first, batch_spans_[i].second);
      one.reserve(one.size() + simdjson::SIMDJSON_PADDING);
      dom::element rec;
      if (Parser().parse(one.data(), one.size(), false).get(rec) != simdjson::SUCCESS) {
        s = EmitInvalid(batch_lines_[i], "the record is not valid JSON");
      } else {
        s = EmitRecord(&rec, batch_lines_[i]);
      }
    }
  }
  batch_.clear();
  batch_lines_.clear();
  batch_spans_.clear();
  return s;
}

Status JsonScanner::EmitRecord(const dom::element* rec, int64_t line) {
  Row row;
  row.part = part_;
  row.line = line;
  if (rec != nullptr && rec->type() != dom::element_type::OBJECT) {
    row.missing = "the record is not an object";
    return mapper_.Map(row);
  }
  bool is_number = false;
  if (!slot_keys_.empty()) {
    if (rec != nullptr) FindDomMembers(rec->get_object().value_unsafe());
    else FindFlatMembers();
  }
  std::string_view control;
  if (!skip_.text.empty() && Lookup(rec, skip_, control, is_number, skip_storage_)) return Status::Ok();  // not data
  if (!interval_.text.empty()) Lookup(rec, interval_, row.interval, is_number, interval_storage_);
  row.ts_count = static_cast<int>(std::min<size_t>(ts_paths_.size(), 4));
  for (int i = 0; i < row.ts_count; ++i) {
    if (!Lookup(rec, ts_paths_[i], row.ts[i], is_number, ts_storage_[i])) {
      row.missing = "no field " + ts_paths_[i].text + " in the record";
      return mapper_.Map(row);
    }
  }
  if (profile_.layout == Profile::Layout::kLong) {
    if (!profile_.module_fixed.empty()) {
      row.module = profile_.module_fixed;
      if (!Lookup(rec, value_, row.value, row.value_is_number, value_storage_, &row.value_number)) {
        row.missing = "no field " + value_.text + " in the record";
      } else {
        row.value_parsed = row.value_is_number;
        if (!unit_.text.empty()) row.has_unit = Lookup(rec, unit_, row.unit, is_number, unit_storage_);
      }
      return mapper_.Map(row);
    }
    if (!Lookup(rec, module_, row.module, is_number, module_storage_)) {
      row.missing = "no field " + module_.text + " in the record";
    } else if (!Lookup(rec, value_, row.value, row.value_is_number, value_storage_, &row.value_number)) {
      row.missing = "no field " + value_.text + " in the record";
    } else {
      row.value_parsed = row.value_is_number;
      if (!unit_.text.empty()) row.has_unit = Lookup(rec, unit_, row.unit, is_number, unit_storage_);
    }
    return mapper_.Map(row);
  }
  // Wide: the listed columns, or every member but the timestamp's and the excluded.
  cell_storage_.resize(std::max<size_t>(cell_storage_.size(), 64));
  size_t n = 0;
  auto add = [&](std::string_view name, const JsonValue& v) {
    if (n >= cell_storage_.size()) cell_storage_.resize(n * 2);
    Row::Cell c;
    c.column = name;
    switch (v.kind) {
      case JsonValue::Kind::kString: c.value = v.text; break;
      case JsonValue::Kind::kNull: break;
      case JsonValue::Kind::kTrue: case JsonValue::Kind::kFalse:  // 1 and 0, as in the long layout
        c.number = v.kind == JsonValue::Kind::kTrue ? 1 : 0;
        c.parsed = c.is_number = true;
        break;
      case JsonValue::Kind::kInt64: case JsonValue::Kind::kUint64: case JsonValue::Kind::kDouble:
        c.number = v.number;
        c.parsed = c.is_number = true;
        break;
      case JsonValue::Kind::kObjectOrArray:
        cell_storage_[n] = "<object or array>";
        c.value = cell_storage_[n];
        break;
    }
    ++n;
    row.cells.push_back(c);
  };
  if (!columns_.empty()) {
    for (const JsonPath& p : columns_) {
      if (rec == nullptr) {  // flat: each column is one plain key (flat_ok_); the first of duplicates
        const auto m = std::find_if(flat_.begin(), flat_.end(), [&](const JsonMember& x) { return x.key == p.key; });
        if (m != flat_.end()) add(p.text, m->value);
        continue;
      }
      dom::element e;
      if (rec->at_pointer(p.pointer).get(e) == simdjson::SUCCESS) add(p.text, FromDom(e));
    }
  } else {
    // The members of a nested object are columns too, named with dots as fields
    // name them: {"ts": …, "values": {"temp": 19.5}} has the column "values.temp".
    nested_names_.clear();
    // Whether the member `key` of the object at `prefix` (a JSON pointer) is a
    // timestamp field, without building its pointer for every member.
    const auto is_ts = [&](std::string_view prefix, std::string_view key) {
      return std::any_of(ts_paths_.begin(), ts_paths_.end(), [&](const JsonPath& t) {
        const std::string_view p = t.pointer;
        return p.size() == prefix.size() + 1 + key.size() && p.starts_with(prefix) && p[prefix.size()] == '/' &&
               p.ends_with(key);
      });
    };
    const auto members = [&](const auto& self, dom::object o, const std::string& pointer_prefix,
                             std::string_view name_prefix, int depth) -> void {
      for (dom::key_value_pair kv : o) {
        const std::string_view key = kv.key;
        const dom::element e = kv.value;
        if (is_ts(pointer_prefix, key)) continue;
        std::string_view name = key;
        if (!name_prefix.empty()) name = nested_names_.emplace_back(std::string(name_prefix) + "." + std::string(key));
        if (std::find(profile_.exclude.begin(), profile_.exclude.end(), name) != profile_.exclude.end()) continue;
        dom::object inner;
        if (depth < kMaxJsonNesting && e.get_object().get(inner) == simdjson::SUCCESS) {
          self(self, inner, pointer_prefix + "/" + std::string(key), name, depth + 1);
          continue;
        }
        add(name, FromDom(e));
      }
    };
    if (rec == nullptr) {
      for (const JsonMember& m : flat_) {
        if (is_ts("", m.key)) continue;
        if (std::find(profile_.exclude.begin(), profile_.exclude.end(), m.key) != profile_.exclude.end()) continue;
        add(m.key, m.value);
      }
    } else {
      members(members, rec->get_object().value_unsafe(), "", "", 0);
    }
  }
  return mapper_.Map(row);
}

Status JsonScanner::Run() {
  char c = 0;
  bool first_top = true;
  while (true) {
    TC_ASSIGN_OR_RETURN(bool more, Peek(c));
    if (!more) break;
    if (stack_.empty() && !first_top && !ndjson_) return Fail("more than one JSON document (use format = \"ndjson\")");
    if (stack_.empty() && first_top) {
      first_top = false;
      // Without `records`: JSON's top-level array elements (or the top-level
      // object); each NDJSON line's value.
      records_are_elements_ = ndjson_ ? !pattern_.empty() : (!pattern_.empty() || c == '[');
    }
    if (!stack_.empty()) {
      Frame& top = stack_.back();
      const char* const closer = top.is_object ? "'}'" : "']'";
      if (c == ',') {
        if (top.last != Frame::Last::kValue) return Fail(fmt::format("unexpected ',' (a value or {} expected)", closer));
        ++pos_;
        top.last = Frame::Last::kComma;
        if (top.is_object) top.expect_key = true;
        continue;
      }
      if ((c == '}' && top.is_object) || (c == ']' && !top.is_object)) {
        if (top.last == Frame::Last::kComma) return Fail(fmt::format("a ',' before {} (trailing comma)", closer));
        TC_RETURN_IF_ERROR(FlushBatch());  // what follows may be an enclosing object's "../" field
        ++pos_;
        stack_.pop_back();
        ValueDone();
        continue;
      }
      if (top.last == Frame::Last::kValue) return Fail(fmt::format("expected ',' or {}, found '{}'", closer, c));
      if (top.is_object && top.expect_key) {
        TC_RETURN_IF_ERROR(FlushBatch());
        if (c != '"') return Fail(fmt::format("expected a member name, found '{}'", c));
        TC_RETURN_IF_ERROR(ReadString(&top.key));
        TC_ASSIGN_OR_RETURN(bool more2, Peek(c));
        if (!more2 || c != ':') return Fail("expected ':' after a member name");
        ++pos_;
        top.expect_key = false;
        continue;
      }
      if (!top.is_object) ++top.index;
    }
    // A value starts here.
    const bool matches = NextValueMatches();
    if (matches && IsRecordLevel()) {
      TC_RETURN_IF_ERROR(QueueRecord());
      ValueDone();
      continue;
    }
    TC_RETURN_IF_ERROR(FlushBatch());
    if (c == '{' || c == '[') {
      ++pos_;
      Frame f;
      f.is_object = c == '{';
      f.on_path = matches;
      stack_.push_back(std::move(f));
      continue;
    }
    // A scalar outside the records: kept when it may be a "../name" field.
    std::string raw;
    if (c == '"') {
      std::string s;
      TC_RETURN_IF_ERROR(ReadString(&s));
      raw = "\"" + s + "\"";
    } else {
      TC_RETURN_IF_ERROR(SkipScalar(&raw));
    }
    if (!stack_.empty() && stack_.back().is_object && stack_.back().on_path &&
        stack_.back().scalars.size() < kMaxKeptScalars) {
      stack_.back().scalars[stack_.back().key] = raw;
    }
    ValueDone();
  }
  TC_RETURN_IF_ERROR(FlushBatch());
  if (!stack_.empty()) return Fail("the document ends before its last " + std::string(stack_.back().is_object ? "object" : "array") + " closes");
  if (first_top) return Fail("empty document");
  return Status::Ok();
}

}  // namespace

Status ReadJsonPart(TextReader& text, const Profile& profile, std::string_view part, RowMapper& mapper) {
  JsonScanner scanner(text, profile, part, mapper);
  return scanner.Run();
}

}  // namespace telecollect::files
