#include "server/request_parser.h"

#include <boost/beast/http/error.hpp>

#include <charconv>

#include "core/ascii.h"
#include "server/transfer_coding.h"

namespace telecollect::server {

namespace http = boost::beast::http;

RequestParser::RequestParser(size_t header_limit, uint64_t body_limit) : header_limit_(header_limit) {
  basic_parser::header_limit(static_cast<std::uint32_t>(header_limit));
  this->body_limit(body_limit);
  eager(true);
}

void RequestParser::Refuse(int status, std::string message, const char* kind, error_code& ec) {
  refusal_ = ProtocolError{status, std::move(message), kind};
  ec = http::error::bad_value;  // stops the parser; refusal_ says why
}

void RequestParser::on_request_impl(verb, string_view method_str, string_view target, int version, error_code&) {
  request_.method.assign(method_str.data(), method_str.size());
  request_.target.assign(target.data(), target.size());
  version_ = static_cast<unsigned>(version);
  header_bytes_ = method_str.size() + target.size() + 12;  // "M T HTTP/1.1\r\n"
}

void RequestParser::on_field_impl(field, string_view name, string_view value, error_code& ec) {
  // Beast bounds only the part of a header it has yet to parse (fields it has
  // parsed are consumed), so the whole is counted here; trailers count
  // against what the header left of the same budget.
  header_bytes_ += name.size() + value.size() + 4;  // ": " and CRLF
  if (header_bytes_ > header_limit_) {
    const std::string limit = std::to_string(header_limit_ / 1024) + " KiB";
    Refuse(431,
           in_trailers_ ? "request header and trailer fields together larger than " + limit
                        : "request headers larger than " + limit,
           "too_large", ec);
    return;
  }
  if (in_trailers_) return;  // counted, not kept
  std::string lower(name.data(), name.size());
  AsciiLowerInPlace(lower);
  if (lower == "transfer-encoding") {
    transfer_encodings_.emplace_back(value.data(), value.size());
  } else if (lower == "content-length") {
    uint64_t n = 0;  // Beast accepted the value: digits, or equal values in a list
    const char* end = value.data() + value.size();
    std::from_chars(value.data(), end, n);
    declared_length_ = n;
  } else if (lower == "expect" && AsciiEqualsIgnoreCase(std::string_view(value.data(), value.size()), "100-continue")) {
    expects_continue_ = true;
  }
  request_.headers.emplace_back(std::move(lower), std::string(value.data(), value.size()));
}

void RequestParser::on_header_impl(error_code& ec) {
  if (transfer_encodings_.empty()) return;
  if (declared_length_) {
    Refuse(400, "Content-Length and Transfer-Encoding together: the body's length is ambiguous", "bad_framing", ec);
    return;
  }
  if (version_ < 11) {
    Refuse(400, "Transfer-Encoding in an HTTP/1.0 request", "bad_framing", ec);
    return;
  }
  TransferCodingVerdict verdict = JudgeTransferEncoding(transfer_encodings_);
  if (verdict.status != 0) {
    Refuse(verdict.status, std::move(verdict.message), verdict.status == 501 ? "not_implemented" : "bad_framing", ec);
  }
}

void RequestParser::on_body_init_impl(boost::optional<std::uint64_t> const& content_length, error_code&) {
  // Content-Length is at most the body limit here (Beast checked it).
  if (content_length) request_.body.reserve(static_cast<size_t>(*content_length));
}

std::size_t RequestParser::on_body_impl(string_view body, error_code&) {
  request_.body.append(body.data(), body.size());
  return body.size();
}

void RequestParser::on_chunk_header_impl(std::uint64_t size, string_view, error_code&) {
  if (size == 0) in_trailers_ = true;  // the last chunk: what follows is the trailer section
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  request_.body.append(body.data(), body.size());
  return body.size();
}

}  // namespace telecollect::server
