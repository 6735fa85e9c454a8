#include "core/metrics.h"

#include <charconv>

namespace telecollect {
namespace {

std::string FormatNumber(double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, p);
}

std::string ValueText(uint64_t v) { return std::to_string(v); }
std::string ValueText(double v) { return FormatNumber(v); }

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void AtomicAdd(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
}

void Histogram::Render(std::string& out, const std::string& name, const std::string& labels) const {
  uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : labels + ",";
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < bounds_.size() ? FormatNumber(bounds_[i]) : "+Inf";
    out.append(name).append("_bucket{").append(sep).append("le=\"").append(le).append("\"} ");
    out.append(std::to_string(cumulative)).append("\n");
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + FormatNumber(sum_.load()) + "\n";
  out += name + "_count" + braces + " " + std::to_string(count_.load()) + "\n";
}

template <typename T>
T& Family<T>::With(std::initializer_list<std::string_view> values) {
  MutexLock lock(mu_);
  auto it = children_.find(values);
  if (it != children_.end()) return *it->second;
  std::unique_ptr<T> child;
  if constexpr (std::is_same_v<T, Histogram>) child = std::make_unique<Histogram>(bounds_);
  else child = std::make_unique<T>();
  T& ref = *child;
  children_.emplace(std::vector<std::string>(values.begin(), values.end()), std::move(child));
  return ref;
}

template <typename T>
std::string Family<T>::LabelText(const std::vector<std::string>& values) const {
  std::string s;
  for (size_t i = 0; i < label_names_.size() && i < values.size(); ++i) {
    if (i) s += ",";
    s += label_names_[i] + "=\"" + Escape(values[i]) + "\"";
  }
  return s;
}

template <typename T>
void Family<T>::Render(std::string& out) const {
  MutexLock lock(mu_);
  out += "# HELP " + name_ + " " + help_ + "\n";
  if constexpr (std::is_same_v<T, Histogram>) {
    out += "# TYPE " + name_ + " histogram\n";
    for (const auto& [labels, h] : children_) h->Render(out, name_, LabelText(labels));
  } else {
    out += "# TYPE " + name_ + (std::is_same_v<T, Gauge> ? " gauge\n" : " counter\n");
    for (const auto& [labels, c] : children_) {
      const std::string l = LabelText(labels);
      out += name_ + (l.empty() ? "" : "{" + l + "}") + " " + ValueText(c->value()) + "\n";
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

std::string Metrics::Render() const {
  std::string out;
  http_requests.Render(out);
  http_latency.Render(out);
  frames.Render(out);
  decode_failures.Render(out);
  measurements.Render(out);
  commit_batch.Render(out);
  commit_latency.Render(out);
  commit_failures.Render(out);
  mqtt_messages.Render(out);
  mqtt_connects.Render(out);
  mqtt_connected.Render(out);
  out += "# HELP telecollect_write_queue_depth Write requests waiting for the writer\n"
         "# TYPE telecollect_write_queue_depth gauge\n"
         "telecollect_write_queue_depth " + FormatNumber(queue_depth.value()) + "\n";
  return out;
}

}  // namespace telecollect
