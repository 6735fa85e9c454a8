#pragma once

#include <functional>
#include <map>
#include <string>

#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "decode/registry.h"
#include "push/device_directory.h"
#include "store/group_commit.h"

namespace telecollect::push {

// An HTTP-shaped answer: status code, JSON body, optional Retry-After seconds.
struct PushResponse {
  int status = 200;
  std::string body;
  int retry_after_s = 0;
};

// The push path: envelope → frames → decode → one WriteBatch → group commit.
// Thread-safe; decoding runs on the caller's thread, for at most
// options.decode_budget_ms per request: frames past it (or whose script
// decoder finds no free worker within it) are stored pending ("deferred: …")
// and `deferred` is called with the scope once they are committed, for the
// background decoder (background_decoder.h).
class PushService {
 public:
  using Done = std::function<void(PushResponse)>;

  // `devices` (optional) gives the device type and module naming of
  // registered devices whose frames name no type.
  using Deferred = std::function<void(const Scope&)>;
  PushService(const decode::DecoderRegistry& registry, store::GroupCommitter& committer, Metrics& metrics,
              const PushOptions& options, const Clock& clock, DeviceDirectory* devices = nullptr,
              Deferred deferred = nullptr)
      : registry_(registry),
        committer_(committer),
        metrics_(metrics),
        options_(options),
        clock_(clock),
        devices_(devices),
        deferred_(std::move(deferred)) {}

  // How the request named its envelope, and what else its URL carried.
  struct Route {
    std::string source;
    bool source_from_path = false;  // unknown source: 404 (path) rather than 400 (header)
    std::vector<std::string> subpath;
    std::map<std::string, std::string> query;
    // ?devicetype= or a `devicetype` header: the type of frames that name none
    // and whose device is not registered (Sigfox callbacks are per device type).
    std::string default_device_type;
  };

  // Answers through `done`, exactly once: at once for a refused request
  // (400/404/413/415/503), after the commit and fsync for an accepted one
  // (200 with {accepted, duplicates, decoded, pending, failed, measurements},
  // plus `ignored` when platform events that are not uplinks were skipped).
  void Push(const Scope& scope, const Route& route, std::string_view content_type, std::string_view body, Done done);

 private:
  const decode::DecoderRegistry& registry_;
  store::GroupCommitter& committer_;
  Metrics& metrics_;
  const PushOptions options_;
  const Clock& clock_;
  DeviceDirectory* const devices_;
  const Deferred deferred_;
};

// {"error": message, ...} bodies shared by every HTTP answer.
std::string ErrorJson(std::string_view message);

// The body of every answer refused because the database cannot be reached
// (store::IsStoreUnreachable): always the same words, naming no host, port
// or user, with a "reason" as /healthz gives it. Answered 503 with Retry-After.
std::string StoreUnavailableJson();

}  // namespace telecollect::push
