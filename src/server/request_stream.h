#pragma once
// The requests of one connection, from its bytes: an input buffer and the
// parser of the request in progress (RequestParser), with no socket. The
// session (http_server.cc) and the fuzz target (fuzz/http_request_fuzz.cc)
// drive the same object:
//
//   while (true) switch (stream.Next()) {
//     case kNeedMore: read into stream.Prepare(n), stream.Commit(read); break;
//     case kContinue: write "100 Continue"; break;
//     case kRequest:  answer stream.TakeRequest(); close unless keep_alive(); break;
//     case kError:    answer stream.error(), close; }
//
// Memory is bounded: bytes are read only when the buffered ones cannot be
// parsed further, and what waits unparsed (a header, a chunk-size line, a
// trailer section) is refused past the header limit; a body is refused past
// the body limit. Nothing here throws: an exception inside the parser
// becomes a 500 error event.

#include <cstdint>
#include <memory>
#include <string>

#include "server/http_types.h"
#include "server/request_parser.h"

namespace telecollect::server {

class RequestStream {
 public:
  struct Limits {
    size_t header_bytes = size_t{16} * 1024;  // request line + header fields + trailer fields
    uint64_t body_bytes = 1 << 20;    // server.max_body_bytes
  };
  enum class Event {
    kNeedMore,  // read more bytes
    kContinue,  // the request asked for "Expect: 100-continue" and its body has yet to come; once per request
    kRequest,   // a complete request: TakeRequest()
    kError,     // refused: error(); the connection must be closed after the answer
  };

  explicit RequestStream(Limits limits);
  ~RequestStream();
  RequestStream(const RequestStream&) = delete;
  RequestStream& operator=(const RequestStream&) = delete;

  // Room for `n` more input bytes; fill some, then Commit how many.
  char* Prepare(size_t n);
  void Commit(size_t n);

  // Parses what is buffered; see Event. Repeats kRequest/kError until taken/closed.
  Event Next();
  // After kRequest: the request; the stream starts on the next one (pipelined bytes stay buffered).
  HttpRequest TakeRequest();

  // Of the request last returned by TakeRequest, or refused.
  unsigned version() const { return version_; }
  bool keep_alive() const { return keep_alive_; }
  const ProtocolError& error() const { return error_; }
  // What an exception said, after an error of kind "exception" (for the log, not the client).
  const std::string& exception_what() const { return exception_what_; }

  // Whether a byte of a request not yet taken has arrived: a timeout then
  // deserves a 408; otherwise the connection was only idle.
  bool started() const;
  // Whether the request in progress has its header (the body's deadline applies).
  bool header_done() const;
  // Bytes buffered and not yet parsed.
  size_t buffered() const { return end_ - begin_; }

 private:
  Event Fail(ProtocolError error);
  Event ParseBuffered();
  ProtocolError FromBeast(const boost::beast::error_code& ec) const;

  const Limits limits_;
  std::string buf_;
  size_t begin_ = 0;  // first unparsed byte
  size_t end_ = 0;    // end of the received bytes
  std::unique_ptr<RequestParser> parser_;
  bool ready_ = false;          // parser_ holds a complete request
  bool continue_given_ = false;  // kContinue returned for the request in progress
  bool failed_ = false;
  ProtocolError error_;
  std::string exception_what_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
};

}  // namespace telecollect::server
