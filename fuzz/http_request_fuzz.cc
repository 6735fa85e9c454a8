// Raw bytes as one connection's input, through RequestStream: the object the
// server's sessions drive (server/http_server.cc), fed in reads of varying
// sizes as a socket would. Never crashes, never throws (a 500 event is a bug),
// buffers stay bounded, and every accepted request agrees with a reference
// reading of HTTP/1.1 framing written here: it ends where the reference says
// the message ends (no request smuggled inside another), and its body equals
// the Content-Length bytes or the de-chunked input.
//
// Input: the first byte seeds the read sizes; the rest is the byte stream.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "core/ascii.h"
#include "server/request_stream.h"

namespace {

using telecollect::server::HttpRequest;
using telecollect::server::RequestStream;

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr uint64_t kBodyLimit = 64 * 1024;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Framing {
  size_t end = 0;  // offset just past the message
  std::string body;
};

size_t Find(std::string_view s, std::string_view what, size_t from) { return s.find(what, from); }

// The first value of a (lower-case) header; HttpRequest::Header lives with
// the routes (server/api.cc), which the fuzz build leaves out.
std::string_view HeaderOf(const HttpRequest& request, std::string_view name) {
  for (const auto& [k, v] : request.headers) {
    if (k == name) return v;
  }
  return {};
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The reference: where a message that starts at `raw[0]` ends and what its
// body is, from its header (the server accepted it, so the header is sound):
// chunked when it has a Transfer-Encoding, else Content-Length, else no body.
std::optional<Framing> ReferenceFraming(std::string_view raw, const HttpRequest& request) {
  const size_t header_end = Find(raw, "\r\n\r\n", 0);
  if (header_end == std::string_view::npos) return std::nullopt;
  size_t p = header_end + 4;
  Framing f;
  const std::string_view te = HeaderOf(request, "transfer-encoding");
  const std::string_view cl = HeaderOf(request, "content-length");
  if (!te.empty()) {
    while (true) {
      const size_t eol = Find(raw, "\r\n", p);
      if (eol == std::string_view::npos) return std::nullopt;
      uint64_t size = 0;
      size_t digits = 0;
      for (size_t i = p; i < eol && HexDigit(raw[i]) >= 0; ++i, ++digits) {
        if (size > (UINT64_MAX >> 4)) return std::nullopt;
        size = size * 16 + static_cast<uint64_t>(HexDigit(raw[i]));
      }
      if (digits == 0) return std::nullopt;
      p = eol + 2;
      if (size == 0) break;
      if (raw.size() - p < size + 2) return std::nullopt;
      f.body.append(raw.substr(p, size));
      p += size;
      if (raw.substr(p, 2) != "\r\n") return std::nullopt;
      p += 2;
    }
    while (true) {  // trailer fields, up to an empty line
      const size_t eol = Find(raw, "\r\n", p);
      if (eol == std::string_view::npos) return std::nullopt;
      const bool empty = eol == p;
      p = eol + 2;
      if (empty) break;
    }
  } else if (!cl.empty()) {
    uint64_t length = 0;
    for (const char c : cl) {
      if (c < '0' || c > '9') break;  // "5, 5": a list of equal values
      length = length * 10 + static_cast<uint64_t>(c - '0');
    }
    if (raw.size() - p < length) return std::nullopt;
    f.body.assign(raw.substr(p, length));
    p += length;
  }
  f.end = p;
  return f;
}

// The Transfer-Encoding of an accepted request is exactly "chunked" (empty
// list elements and whitespace aside), and never comes with a Content-Length.
void CheckCodings(const HttpRequest& request) {
  std::string codings;
  bool content_length = false;
  for (const auto& [name, value] : request.headers) {
    for (const char c : name) Check(c == telecollect::AsciiLower(c));
    if (name == "content-length") content_length = true;
    if (name != "transfer-encoding") continue;
    for (const char c : value) {
      if (c != ' ' && c != '\t') codings += telecollect::AsciiLower(c);
    }
    codings += ',';
  }
  if (codings.empty()) return;
  Check(!content_length);
  std::string joined;
  for (size_t i = 0; i < codings.size(); ++i) {
    if (codings[i] == ',' && (joined.empty() || joined.back() == ',')) continue;
    joined += codings[i];
  }
  while (!joined.empty() && joined.back() == ',') joined.pop_back();
  Check(joined == "chunked");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint32_t seed = data[0] * 2654435761u + 1;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  RequestStream stream({kHeaderLimit, kBodyLimit});
  size_t fed = 0;
  size_t request_start = 0;  // where the request in progress began (before any empty lines)
  int continues = 0;
  while (true) {
    const RequestStream::Event event = stream.Next();
    Check(stream.buffered() <= kHeaderLimit + 2 * 4096);
    if (event == RequestStream::Event::kNeedMore) {
      if (fed == input.size()) break;  // end of stream
      seed = seed * 1103515245u + 12345u;
      const size_t want = std::min<size_t>(input.size() - fed, 1 + (seed >> 16) % 4096);
      std::memcpy(stream.Prepare(want), input.data() + fed, want);
      stream.Commit(want);
      fed += want;
      continue;
    }
    if (event == RequestStream::Event::kContinue) {
      Check(stream.header_done());
      Check(++continues < 1000);
      continue;
    }
    if (event == RequestStream::Event::kError) {
      const int status = stream.error().status;
      Check(status == 400 || status == 413 || status == 431 || status == 501);
      Check(!stream.error().message.empty());
      Check(!stream.keep_alive());
      Check(stream.Next() == RequestStream::Event::kError);  // stays refused
      break;
    }
    const HttpRequest request = stream.TakeRequest();
    const size_t request_end = fed - stream.buffered();
    Check(request.body.size() <= kBodyLimit);
    Check(!request.method.empty() && !request.target.empty());
    CheckCodings(request);
    std::string_view raw = input.substr(request_start, request_end - request_start);
    while (!raw.empty() && (raw.front() == '\r' || raw.front() == '\n')) raw.remove_prefix(1);
    const std::optional<Framing> reference = ReferenceFraming(raw, request);
    Check(reference.has_value());
    Check(reference->end == raw.size());
    Check(reference->body == request.body);
    request_start = request_end;
    if (!stream.keep_alive()) break;
  }
  return 0;
}
