#include "decode/script/worker_protocol.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace telecollect::decode::worker {
namespace {

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutI64(std::string& out, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}
void PutString(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reads fields front to back; any overrun makes ok() false.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint8_t U8() {
    if (!Need(1)) return 0;
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint32_t U32() {
    if (!Need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
    return v;
  }
  int64_t I64() {
    if (!Need(8)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
    return static_cast<int64_t>(v);
  }
  std::string String() {
    const uint32_t n = U32();
    if (!Need(n)) return {};
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // Every byte read, none left over.
  bool Done() const { return ok_ && pos_ == in_.size(); }

 private:
  bool Need(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

std::string Framed(std::string_view payload) {
  std::string out;
  out.reserve(4 + payload.size());
  PutU32(out, static_cast<uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

uint32_t LengthOf(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

int RemainingMs(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 1000000 ? 1000000 : static_cast<int>(left.count()) + 1;
}

// Waits until fd is ready for `events` or the deadline passes.
Status WaitReady(int fd, short events, Deadline deadline) {
  while (true) {
    const int ms = RemainingMs(deadline);
    if (ms == 0) return Status::Unavailable("deadline passed");
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, ms);
    if (n > 0) return Status::Ok();
    if (n < 0 && errno != EINTR) return Status::IoError(std::string("poll: ") + std::strerror(errno));
  }
}

// Reads exactly n bytes; with a deadline when `deadline` is set.
Status ReadExactly(int fd, char* out, size_t n, const Deadline* deadline, bool* clean_eof) {
  size_t got = 0;
  while (got < n) {
    if (deadline) TC_RETURN_IF_ERROR(WaitReady(fd, POLLIN, *deadline));
    const ssize_t r = ::read(fd, out + got, n - got);
    if (r > 0) {
      got += static_cast<size_t>(r);
    } else if (r == 0) {
      if (clean_eof && got == 0) *clean_eof = true;
      return Status::IoError("the peer closed the pipe");
    } else if (errno != EINTR && errno != EAGAIN) {
      return Status::IoError(std::string("read: ") + std::strerror(errno));
    }
  }
  return Status::Ok();
}

Status WriteAll(int fd, std::string_view data, const Deadline* deadline) {
  size_t done = 0;
  while (done < data.size()) {
    if (deadline) TC_RETURN_IF_ERROR(WaitReady(fd, POLLOUT, *deadline));
    // send: a peer that went away is an error here, not a SIGPIPE for the whole process.
    const ssize_t w = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (w > 0) {
      done += static_cast<size_t>(w);
    } else if (w < 0 && errno != EINTR && errno != EAGAIN) {
      return Status::IoError(std::string("write: ") + std::strerror(errno));
    }
  }
  return Status::Ok();
}

Result<std::string> Read(int fd, uint32_t max_bytes, const Deadline* deadline) {
  char head[4];
  bool clean_eof = false;
  if (Status s = ReadExactly(fd, head, 4, deadline, &clean_eof); !s.ok()) {
    return clean_eof ? Status::NotFound("end of input") : s;
  }
  const uint32_t n = LengthOf(head);
  if (n > max_bytes) {
    return Status::InvalidArgument("message of " + std::to_string(n) + " bytes, over the bound of " +
                                   std::to_string(max_bytes));
  }
  std::string payload(n, '\0');
  // The peer has started its answer: the rest comes now, whatever the deadline left.
  Deadline rest;
  if (deadline) rest = std::max(*deadline, std::chrono::steady_clock::now() + std::chrono::seconds(2));
  TC_RETURN_IF_ERROR(ReadExactly(fd, payload.data(), n, deadline ? &rest : nullptr, nullptr));
  return payload;
}

}  // namespace

std::string EncodeRequest(const Request& r) {
  std::string out;
  out.reserve(48 + r.name.size() + r.source.size() + r.bytes.size());
  out.push_back(static_cast<char>(r.op));
  PutI64(out, static_cast<int64_t>(r.decoder_id));
  PutString(out, r.name);
  PutString(out, r.source);
  PutString(out, r.bytes);
  PutI64(out, r.fport ? *r.fport : -1);
  PutI64(out, r.received_at);
  PutU32(out, r.max_output_bytes);
  return out;
}

// A message's first byte (its op or code), which must lie in [first, last].
template <typename Enum>
Result<Enum> ReadTag(Reader& in, Enum first, Enum last, const char* what) {
  const uint8_t tag = in.U8();
  if (tag < static_cast<uint8_t>(first) || tag > static_cast<uint8_t>(last)) {
    return Status::InvalidArgument(std::string("unknown ") + what + " " + std::to_string(tag));
  }
  return static_cast<Enum>(tag);
}

Result<Request> DecodeRequest(std::string_view message) {
  Reader in(message);
  Request r;
  TC_ASSIGN_OR_RETURN(r.op, ReadTag(in, Op::kDecode, Op::kProbe, "request op"));
  r.decoder_id = static_cast<uint64_t>(in.I64());
  r.name = in.String();
  r.source = in.String();
  r.bytes = in.String();
  const int64_t port = in.I64();
  if (port >= 0 && port <= 255) r.fport = static_cast<int>(port);
  r.received_at = in.I64();
  r.max_output_bytes = in.U32();
  if (!in.Done()) return Status::InvalidArgument("malformed request (truncated or trailing bytes)");
  if (r.source.size() > kMaxSourceBytes) return Status::InvalidArgument("decoder source over 1 MiB");
  return r;
}

std::string EncodeResponse(const Response& r) {
  std::string out;
  out.reserve(5 + r.text.size());
  out.push_back(static_cast<char>(r.code));
  PutString(out, r.text);
  return out;
}

Result<Response> DecodeResponse(std::string_view message) {
  Reader in(message);
  Response r;
  TC_ASSIGN_OR_RETURN(r.code, ReadTag(in, Code::kOk, Code::kNeedSource, "response code"));
  r.text = in.String();
  if (!in.Done()) return Status::InvalidArgument("malformed response (truncated or trailing bytes)");
  return r;
}

Status WriteMessage(int fd, std::string_view payload) { return WriteAll(fd, Framed(payload), nullptr); }

Result<std::string> ReadMessage(int fd, uint32_t max_bytes) { return Read(fd, max_bytes, nullptr); }

Status WriteMessageUntil(int fd, std::string_view payload, Deadline deadline) {
  return WriteAll(fd, Framed(payload), &deadline);
}

Result<std::string> ReadMessageUntil(int fd, uint32_t max_bytes, Deadline deadline) {
  return Read(fd, max_bytes, &deadline);
}

}  // namespace telecollect::decode::worker
