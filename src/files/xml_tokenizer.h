#pragma once
// A streaming XML tokenizer for data files, in place of a general parser: it
// reads elements, attributes and text (entities, character references and
// CDATA decoded, line ends normalised) and skips comments, processing
// instructions and a DOCTYPE. Well-formedness is checked as far as the data
// needs it: tags nest and match, attribute names are unique, one root element,
// no text outside it, references defined. Entities declared in a DTD are not
// supported (an error names them): no entity expansion, no external fetches.
//
// Input is UTF-8 (TextReader transcodes). Memory is bounded by the longest
// token (a tag, a text run), not by the document.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace telecollect::files {

// The local part of an element or attribute name ("ns:Releve" → "Releve").
inline std::string_view XmlLocalName(std::string_view name) {
  for (size_t i = 0; i < name.size(); ++i) {  // names are short: no memchr call
    if (name[i] == ':') return name.substr(i + 1);
  }
  return name;
}

// A namespace declaration ("xmlns", "xmlns:m"): an attribute that is not data.
inline bool XmlIsNamespaceDeclaration(std::string_view name) {
  return name.size() >= 5 && name.substr(0, 5) == "xmlns" && (name.size() == 5 || name[5] == ':');
}

class XmlTokenizer {
 public:
  struct Attribute {
    std::string_view name;   // as written, prefix included
    std::string_view value;  // decoded
  };
  // Events; views are valid during the call only. Returning a non-ok status
  // stops the parse with that status.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual Status OnStart(std::string_view name, std::span<const Attribute> attributes) = 0;
    virtual Status OnEnd(std::string_view name) = 0;
    virtual Status OnText(std::string_view text) = 0;
  };
  // Fills up to `cap` bytes; 0 at the end of the input.
  using Reader = std::function<Result<size_t>(char* buf, size_t cap)>;

  static constexpr size_t kMaxToken = 16u << 20;
  static constexpr size_t kMaxDepth = 1024;

  explicit XmlTokenizer(Handler& handler) : handler_(handler) {}

  // Reads the whole document. Errors say "line L, column C: what".
  Status Parse(const Reader& read);
  // The same, for a document held in memory.
  Status ParseText(std::string_view text);

  // The line where the token being handled starts (1-based).
  int64_t line() const { return token_line_; }
  // During OnStart: whether the tag is empty ("<a/>"; OnEnd follows within
  // the same call, so the attribute views are still valid then).
  bool tag_is_empty() const { return tag_is_empty_; }
  // During OnStart: an id of the tag's byte layout around its attribute values
  // (name, attributes, their order and spacing): tags with the same non-zero
  // id have the same attributes at the same positions. 0: not known.
  uint64_t tag_layout() const { return shape_.valid ? shape_id_ : 0; }

 private:
  enum class Need { kDone, kMore };
  // Each returns kMore when the token is not complete in the buffer yet.
  Result<Need> Step();
  Result<Need> Markup();
  Result<Need> StartTag(size_t lt);
  // A start tag laid out byte for byte as the last one was (see TagShape);
  // nullopt when it is not, then StartTag reads it in full.
  std::optional<Result<Need>> ShapedStartTag(size_t lt);
  // The end of a start tag read either way: `close` is on its '>'.
  Result<Need> FinishStartTag(size_t lt, std::string_view name, size_t close, bool empty, bool shaped);
  Result<Need> EndTag(size_t lt);
  Result<Need> TextRun();
  Status Fail(size_t at, const std::string& what) const;
  // Decodes references (and normalises line ends; in attributes, whitespace
  // to spaces) of buf_[from, to) onto `out`.
  Status Decode(size_t from, size_t to, bool attribute, std::string& out);
  void Advance(size_t to);  // consumes buf_ up to `to`, counting lines

  Handler& handler_;
  std::string buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  int64_t line_ = 1;            // at pos_
  int64_t consumed_ = 0;        // bytes dropped from the front of buf_
  int64_t line_begin_abs_ = 0;  // absolute offset of the first byte of line_
  int64_t token_line_ = 1;
  bool seen_root_ = false;
  bool root_closed_ = false;
  std::vector<std::string> open_;  // names of the open elements
  // This tag's attributes: the first n_attrs_ slots (reused tag after tag);
  // decoded values are in decoded_ at decoded_spans_ (npos = raw, in buf_).
  void AddAttribute(std::string_view name, std::string_view raw, size_t decoded_at, size_t decoded_len) {
    if (n_attrs_ == attrs_.size()) {
      attrs_.emplace_back();
      decoded_spans_.emplace_back();
    }
    attrs_[n_attrs_] = {name, raw};
    decoded_spans_[n_attrs_++] = {decoded_at, decoded_len};
  }
  // Data files repeat one tag layout record after record: the bytes of the
  // last start tag around its attribute values, so that the next one is read
  // by comparing them instead of scanning names (valid when no value of that
  // tag needed decoding). segments[k] runs from the end of value k-1 (its
  // closing quote; the '<' for k = 0) to the start of value k (its opening
  // quote included); the last one runs to the '>' included.
  struct TagShape {
    std::vector<std::string> segments;
    std::vector<std::string_view> names;  // each attribute's name, a view into its segment
    size_t name_len = 0;                                // the element's name, after the '<'
    bool empty = false;                                 // "/>"
    bool newlines = false;                              // in the segments (values have none)
    bool valid = false;
  };
  TagShape shape_;
  uint64_t shape_id_ = 0;     // changes with each shape recorded
  bool tag_is_empty_ = false;
  std::vector<Attribute> attrs_;
  std::vector<std::pair<size_t, size_t>> decoded_spans_;
  size_t n_attrs_ = 0;
  std::string decoded_;
};

}  // namespace telecollect::files
