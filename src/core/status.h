#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace telecollect {

// The closed set of expected failures. Bugs are asserts, not codes.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // bad input: the caller can fix it (HTTP 400)
  kUnauthenticated,    // no or unknown credentials (401)
  kPermissionDenied,   // credentials valid, scope wrong (403)
  kNotFound,           // (404)
  kAlreadyExists,      // the same key holds other content (409)
  kUnsupported,        // e.g. media type or source not handled (415)
  kResourceExhausted,  // queue full, body too large (429/503/413 by context)
  kUnavailable,        // shutting down, storage temporarily unavailable (503)
  kIoError,            // storage or file system failure (500)
  kInternal,           // unexpected library failure (500)
  kAborted,            // refused because what it assumed no longer holds (a lease lost): nothing changed
};

const char* StatusCodeName(StatusCode code);

// A value describing success or one expected failure with a message that says
// where and why. Cheap to copy on success.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Returns a copy whose message is prefixed by `context: `.
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { assert(ok()); return std::get<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace telecollect

// Propagates a non-ok Status from an expression returning Status.
#define TC_RETURN_IF_ERROR(expr)                 \
  do {                                           \
    ::telecollect::Status tc_status_ = (expr);   \
    if (!tc_status_.ok()) return tc_status_;     \
  } while (0)

#define TC_CONCAT_INNER(a, b) a##b
#define TC_CONCAT(a, b) TC_CONCAT_INNER(a, b)
// Declares `lhs` from a Result-returning expression or returns its Status.
// `tmp` is a name and `lhs` may be a declaration (`Type name`): neither can be
// parenthesized (clang-tidy's bugprone-macro-parentheses is silenced for them).
#define TC_ASSIGN_OR_RETURN(lhs, expr) TC_ASSIGN_OR_RETURN_IMPL(TC_CONCAT(tc_result_, __LINE__), lhs, expr)
#define TC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                   /* NOLINT(bugprone-macro-parentheses) */ \
  if (!tmp.ok()) return tmp.status();  /* NOLINT(bugprone-macro-parentheses) */ \
  lhs = std::move(tmp).value()         /* NOLINT(bugprone-macro-parentheses) */
