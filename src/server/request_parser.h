#pragma once
// One HTTP/1.x request parsed from bytes with Beast's basic_parser, straight
// into an HttpRequest, with telecollect's framing rules on top of Beast's:
// - Transfer-Encoding judged by JudgeTransferEncoding (chunked only, last);
//   Transfer-Encoding with Content-Length, or in HTTP/1.0, refused;
// - the header and the trailer section share one byte budget (trailers are
//   counted, then dropped: never merged into the header);
// - fields are stored by this class, so no size of name or value can throw.
// Used by RequestStream only; no I/O.

#include <boost/beast/http/basic_parser.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/http_types.h"

namespace telecollect::server {

// A request refused at the protocol level: answered `status` with
// {"error": message}, then the connection is closed.
struct ProtocolError {
  int status = 400;     // 400, 413, 431, 501; 500 for an exception
  std::string message;  // says where and why
  const char* kind = "bad_framing";  // log class: bad_framing, too_large, not_implemented, exception
};

class RequestParser : public boost::beast::http::basic_parser<true> {
 public:
  // `header_limit`: bytes of request line + header fields + trailer fields.
  RequestParser(size_t header_limit, uint64_t body_limit);

  // The refusal that a callback raised (its Beast error code is only a stop signal).
  const std::optional<ProtocolError>& refusal() const { return refusal_; }
  // Bytes counted against the header limit so far (request line, fields, trailers).
  size_t header_bytes() const { return header_bytes_; }
  unsigned version() const { return version_; }  // 10 or 11
  bool expects_continue() const { return expects_continue_; }
  bool saw_content_length() const { return declared_length_.has_value(); }
  // The Content-Length received (valid: Beast checks it first), even when refused as too large.
  std::optional<uint64_t> declared_length() const { return declared_length_; }
  bool saw_transfer_encoding() const { return !transfer_encodings_.empty(); }
  // The request so far; complete once is_done().
  HttpRequest& request() { return request_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  using field = boost::beast::http::field;
  using verb = boost::beast::http::verb;

  void Refuse(int status, std::string message, const char* kind, error_code& ec);

  void on_request_impl(verb method, string_view method_str, string_view target, int version,
                       error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(field name, string_view name_string, string_view value, error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(boost::optional<std::uint64_t> const& content_length, error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code&) override {}

  const size_t header_limit_;
  HttpRequest request_;
  unsigned version_ = 11;
  size_t header_bytes_ = 0;
  bool in_trailers_ = false;
  bool expects_continue_ = false;
  std::optional<uint64_t> declared_length_;
  std::vector<std::string> transfer_encodings_;
  std::optional<ProtocolError> refusal_;
};

}  // namespace telecollect::server
