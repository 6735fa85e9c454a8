#include "server/request_stream.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cstring>
#include <exception>

namespace telecollect::server {

namespace http = boost::beast::http;

namespace {

// What a chunk-size line may hold past the header's budget, so that a
// request whose header nearly fills the limit can still send a chunked body.
constexpr size_t kChunkLineAllowance = 1024;

std::string KiB(size_t bytes) { return std::to_string(bytes / 1024) + " KiB"; }

}  // namespace

RequestStream::RequestStream(Limits limits) : limits_(limits) {}
RequestStream::~RequestStream() = default;

char* RequestStream::Prepare(size_t n) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (buf_.size() - end_ < n && begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() - end_ < n) buf_.resize(end_ + n);
  return buf_.data() + end_;
}

void RequestStream::Commit(size_t n) { end_ = std::min(end_ + n, buf_.size()); }

bool RequestStream::started() const { return begin_ < end_ || (parser_ && parser_->got_some()); }

bool RequestStream::header_done() const { return parser_ && parser_->is_header_done(); }

RequestStream::Event RequestStream::Fail(ProtocolError error) {
  failed_ = true;
  error_ = std::move(error);
  if (parser_ && parser_->got_some()) version_ = parser_->version();
  keep_alive_ = false;
  return Event::kError;
}

ProtocolError RequestStream::FromBeast(const boost::beast::error_code& ec) const {
  if (parser_->refusal()) return *parser_->refusal();
  if (ec == http::error::header_limit) {
    return {431, "request headers larger than " + KiB(limits_.header_bytes), "too_large"};
  }
  if (ec == http::error::body_limit) {
    std::string what = "body";
    if (parser_->declared_length()) what = "body of " + std::to_string(*parser_->declared_length()) + " bytes";
    return {413, what + " exceeds server.max_body_bytes (" + std::to_string(limits_.body_bytes) + "); split the batch",
            "too_large"};
  }
  // Beast stops at the second of the two fields, before this parser sees it.
  if ((ec == http::error::bad_transfer_encoding && parser_->saw_content_length()) ||
      (ec == http::error::bad_content_length && parser_->saw_transfer_encoding())) {
    return {400, "malformed HTTP request: Content-Length and Transfer-Encoding together: the body's length is ambiguous"};
  }
  if (ec == http::error::bad_transfer_encoding) {
    return {400, "malformed HTTP request: Transfer-Encoding must end with chunked, applied once"};
  }
  if (ec == http::error::bad_chunk) {
    return {400, "malformed HTTP request: bad chunk (a chunk size must be hex digits ending with CRLF, "
                 "and the chunk's data must end with CRLF)"};
  }
  if (ec == http::error::bad_chunk_extension) return {400, "malformed HTTP request: bad chunk extension"};
  if (ec == http::error::multiple_content_length) {
    return {400, "malformed HTTP request: Content-Length fields that disagree"};
  }
  return {400, "malformed HTTP request: " + ec.message()};
}

RequestStream::Event RequestStream::Next() {
  if (failed_) return Event::kError;
  if (ready_) return Event::kRequest;
  try {
    return ParseBuffered();
  } catch (const std::exception& e) {
    exception_what_ = e.what();
  } catch (...) {
    exception_what_ = "unknown exception";
  }
  return Fail({500, "internal error while reading the request", "exception"});
}

RequestStream::Event RequestStream::ParseBuffered() {
  if (!parser_) {
    // Empty lines before a request line are ignored (RFC 9112 §2.2).
    while (begin_ < end_ && (buf_[begin_] == '\r' || buf_[begin_] == '\n')) ++begin_;
    if (begin_ == end_) return Event::kNeedMore;
    parser_ = std::make_unique<RequestParser>(limits_.header_bytes, limits_.body_bytes);
  }
  while (begin_ < end_) {
    boost::beast::error_code ec;
    const size_t used = parser_->put(boost::asio::buffer(buf_.data() + begin_, end_ - begin_), ec);
    begin_ += used;
    if (ec == http::error::need_more) {
      if (used > 0) continue;  // progress: try the rest, which may be a complete line by now
      break;
    }
    if (ec) return Fail(FromBeast(ec));
    if (parser_->is_done()) {
      ready_ = true;
      return Event::kRequest;
    }
    if (used == 0) break;
  }
  if (parser_->is_header_done()) {
    // Beast bounds a header that has not ended; past it, what waits unparsed
    // is a chunk-size line or the trailer section, held to what the header left.
    const size_t left = limits_.header_bytes - std::min(limits_.header_bytes, parser_->header_bytes());
    if (buffered() > std::max(left, kChunkLineAllowance)) {
      return Fail({431, "request header and trailer fields (or a chunk-size line) larger than " +
                            KiB(limits_.header_bytes),
                   "too_large"});
    }
    if (parser_->expects_continue() && !continue_given_) {
      continue_given_ = true;
      return Event::kContinue;
    }
  }
  return Event::kNeedMore;
}

HttpRequest RequestStream::TakeRequest() {
  HttpRequest request = std::move(parser_->request());
  version_ = parser_->version();
  keep_alive_ = parser_->keep_alive();
  parser_.reset();
  ready_ = false;
  continue_given_ = false;
  return request;
}

}  // namespace telecollect::server
