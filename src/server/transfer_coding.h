#pragma once
// The Transfer-Encoding of a request, judged as RFC 9112 §6 asks: chunked is
// the only coding telecollect implements, and it must be the final one.

#include <string>
#include <string_view>
#include <vector>

namespace telecollect::server {

struct TransferCodingVerdict {
  int status = 0;       // 0: the body is chunked and nothing else; else 400 or 501
  std::string message;  // why, for the JSON error body (empty when status is 0)
};

// `values`: every Transfer-Encoding field value of one request, in order
// (several fields form one list). Judged in this order:
//   400  a malformed list (a coding that is not a token, bad parameters, no coding at all);
//   400  chunked absent, repeated, not last, or with parameters: the body's
//        length cannot be determined (RFC 9112 §6.3), e.g. "identity", "chunked, identity";
//   501  another coding before the final chunked, e.g. "gzip, chunked": not implemented.
TransferCodingVerdict JudgeTransferEncoding(const std::vector<std::string>& values);

}  // namespace telecollect::server
