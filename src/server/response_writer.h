#pragma once
// An HTTP/1.x response as the bytes that go on the wire, written here rather
// than by Beast's serializer: its chains of buffer views cost about 15,000
// instructions per response, a fifth of the HTTP work of a one-frame push.

#include <string>

#include "server/http_types.h"

namespace telecollect::server {

// Status line, Server, Content-Type, the response's own headers, Connection
// (keep-alive or close), Content-Length, a blank line, the body; appended to
// `out`. `version` is 10 or 11 (HTTP/1.0, HTTP/1.1). CR and LF are dropped from
// header names and values (no header injection); a response header that
// would repeat Content-Length, Connection or Transfer-Encoding is left out.
void SerializeResponse(const HttpResponse& response, unsigned version, bool keep_alive, std::string& out);
// The same up to the blank line, without the body: the server sends the body
// from the response itself (one gathered write, no copy of a long answer).
void SerializeHead(const HttpResponse& response, unsigned version, bool keep_alive, std::string& out);

}  // namespace telecollect::server
