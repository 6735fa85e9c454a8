#pragma once

#include <algorithm>
#include <atomic>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/mutex.h"

namespace telecollect {

// Minimal Prometheus text-format metrics. Counters and histograms are
// lock-free to update once obtained; families take a lock only to find or
// create a labelled child. Thread-safe.

class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void Set(double v) { v_.store(v, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);
  void Render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // one per bound, plus +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// A named metric with label sets, e.g. requests_total{route="/",code="200"}.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> bounds = {})
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}

  // `values` must have one entry per label name. Finding an existing child
  // copies nothing (it is called on every request).
  T& With(std::initializer_list<std::string_view> values) TC_EXCLUDES(mu_);
  void Render(std::string& out) const TC_EXCLUDES(mu_);

 private:
  std::string LabelText(const std::vector<std::string>& values) const;

  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable Mutex mu_;
  // Orders label values whether held (strings) or looked up (views).
  struct LabelsLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                          [](std::string_view x, std::string_view y) { return x < y; });
    }
  };
  std::map<std::vector<std::string>, std::unique_ptr<T>, LabelsLess> children_ TC_GUARDED_BY(mu_);
};

// Every metric telecollect exports. One instance per process, handed to the
// pieces that update it.
struct Metrics {
  Family<Counter> http_requests{"telecollect_http_requests_total", "HTTP requests by route and status code",
                                {"route", "code"}};
  Family<Histogram> http_latency{"telecollect_http_request_seconds", "HTTP request latency", {"route"},
                                 {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}};
  Family<Counter> frames{"telecollect_frames_total", "Frames received, by source and outcome",
                         {"source", "status"}};
  Family<Counter> decode_failures{"telecollect_decode_failures_total", "Frames whose decoder failed, by device type",
                                  {"devicetype"}};
  Family<Counter> measurements{"telecollect_measurements_written_total", "Measurements written", {"way"}};
  Family<Histogram> commit_batch{"telecollect_commit_batch_rows", "Rows per group commit", {},
                                 {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536}};
  Family<Histogram> commit_latency{"telecollect_commit_seconds", "Group commit duration", {},
                                   {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  Family<Counter> commit_failures{"telecollect_commit_failures_total", "Failed group commits", {}};
  Family<Counter> mqtt_messages{"telecollect_mqtt_messages_total",
                                "MQTT messages by connector: received, then stored, rejected or not_stored",
                                {"connector", "result"}};
  Family<Counter> mqtt_connects{"telecollect_mqtt_connects_total", "MQTT connection attempts by connector and result",
                                {"connector", "result"}};
  Family<Gauge> mqtt_connected{"telecollect_mqtt_connected", "1 while the MQTT connector is subscribed on this node",
                               {"connector"}};
  Gauge queue_depth;  // telecollect_write_queue_depth

  std::string Render() const;
};

}  // namespace telecollect
