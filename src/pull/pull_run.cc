#include "pull/pull_run.h"

#include <algorithm>
#include <chrono>
#include <charconv>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "files/profile_map.h"
#include "pull/answer.h"
#include "pull/auth.h"
#include "pull/http_client.h"
#include "pull/pacer.h"
#include "pull/request_builder.h"
#include "files/timestamp_format.h"

namespace telecollect::pull {
namespace {

// Holds a window's readings until all its pages are in.
class WindowBuffer final : public ReadingWriter {
 public:
  Status Add(const std::vector<ModuleDef>& modules, std::span<const Reading> readings) override {
    std::vector<uint32_t> ids(modules.size());
    for (size_t i = 0; i < modules.size(); ++i) {
      const std::string key = modules[i].name + '\n' + modules[i].unit;
      auto [it, fresh] = index_.emplace(key, static_cast<uint32_t>(modules_.size()));
      if (fresh) modules_.push_back(modules[i]);
      ids[i] = it->second;
    }
    for (const Reading& r : readings) readings_.push_back({ids[r.module], r.ts, r.value});
    return Status::Ok();
  }
  Status WriteTo(ReadingWriter& w) const { return readings_.empty() ? Status::Ok() : w.Add(modules_, readings_); }
  size_t size() const { return readings_.size(); }
  void CopyPoints(size_t max, std::vector<PreviewPoint>& out) const {
    for (size_t i = 0; i < readings_.size() && i < max; ++i) {
      const ModuleDef& m = modules_[readings_[i].module];
      out.push_back({m.name, m.unit, readings_[i].ts, readings_[i].value});
    }
  }

  // Distinct modules of the window (each page's report counts its own).
  int64_t module_count() const {
    std::set<std::string_view> names;
    for (const ModuleDef& m : modules_) names.insert(m.name);
    return static_cast<int64_t>(names.size());
  }

 private:
  std::map<std::string, uint32_t> index_;
  std::vector<ModuleDef> modules_;
  std::vector<Reading> readings_;
};

// A run stops (not only the meter) on these.
bool StopsRun(const Status& s) { return s.code() == StatusCode::kResourceExhausted || store::IsLeaseLost(s); }

// Why the run's lease is lost, or "".
std::string LeaseLost(const PullOptions& o) { return o.lease_lost ? o.lease_lost() : std::string(); }

std::string Excerpt(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, 200)) out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  return out;
}

// A span to ask for again, and since when it is in error.
struct RetrySpan {
  EpochMs to = 0;
  EpochMs since = 0;
};
using RetrySpans = std::map<EpochMs, RetrySpan>;  // by start

RetrySpans ParseRetrySpans(const std::string& text) {
  RetrySpans out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(';', pos);
    if (end == std::string::npos) end = text.size();
    EpochMs v[3] = {0, 0, 0};
    const char* p = text.data() + pos;
    const char* stop = text.data() + end;
    for (int i = 0; i < 3 && p < stop; ++i) {
      p = std::from_chars(p, stop, v[i]).ptr;
      if (p < stop && *p == ',') ++p;
    }
    if (v[1] > v[0]) out[v[0]] = {v[1], v[2]};
    pos = end + 1;
  }
  return out;
}

std::string FormatRetrySpans(const RetrySpans& spans) {
  std::string out;
  for (const auto& [from, s] : spans) out += fmt::format("{}{},{},{}", out.empty() ? "" : ";", from, s.to, s.since);
  return out;
}

// The span to ask for again for a record in error: its local day when windows
// are days (its timestamp read as the mapping reads it), else its window.
std::pair<EpochMs, EpochMs> SpanOf(const BadRecord& bad, const ApiConnector& c, const files::Zone& zone, EpochMs from,
                                   EpochMs to) {
  if (!c.window.align_days || bad.timestamp.empty()) return {from, to};
  Result<files::TimestampFormat> format = files::TimestampFormat::Parse(c.mapping.timestamp_format);
  if (!format.ok()) return {from, to};
  Result<files::TimestampFormat::Value> v = format->Read(bad.timestamp);
  if (!v.ok()) return {from, to};
  Result<files::Zone> mapping_zone = files::Zone::Locate(c.mapping.timezone);
  const EpochMs t = v->absolute ? v->utc : mapping_zone.ok() ? mapping_zone->Resolve(v->local).first : from;
  const EpochMs day = LocalMidnight(t, zone);
  if (day < from || day >= to) return {from, to};
  return {day, std::min(to, AddLocalDays(day, 1, zone))};
}

class Runner {
 public:
  Runner(store::Store& store, const ApiConnector& c, const Clock& clock, const PullOptions& o, store::RunRecord& run)
      : c_(c), clock_(clock), o_(o), run_(run), auth_(c, store, clock),
        pacer_(Pacer::For(c.name, c.limits)) {}

  // One window, all its pages, into `buffer`.
  Status FetchWindow(Vars vars, EpochMs from, EpochMs to, const files::Profile& mapping, WindowBuffer& buffer,
                     WindowResult& w, const files::Zone& zone) {
    vars["from"] = FormatBound(from, false, c_.window, zone);
    vars["to"] = FormatBound(to, true, c_.window, zone);
    const Pagination& pg = c_.pagination;
    int64_t page = pg.first_page, offset = 0;
    std::string cursor, next_url;
    for (int n = 0; n < pg.max_pages; ++n) {
      vars["page"] = std::to_string(page);
      vars["offset"] = std::to_string(offset);
      vars["limit"] = std::to_string(pg.limit);
      vars["cursor"] = cursor;
      TC_ASSIGN_OR_RETURN(HttpRequest req, BuildRequest(c_, vars, next_url));
      TC_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
      ++w.pages;
      AnswerInfo info;
      Status mapped = MapAnswer(resp.body, mapping, c_.checks, pg, buffer, w.report, info);
      if (!mapped.ok()) return mapped.WithContext(fmt::format("page {}", w.pages));
      for (BadRecord& bad : info.bad_records) w.bad_records.push_back(std::move(bad));
      if (!info.business_error.empty())
        return Status::Unavailable(fmt::format("page {}: the API reports an error in a {} answer: {}", w.pages, resp.status,
                                               info.business_error));
      switch (pg.kind) {
        case Pagination::Kind::kNone: return Status::Ok();
        case Pagination::Kind::kPage:
        case Pagination::Kind::kOffset:
          if (info.records < pg.limit) return Status::Ok();
          ++page;
          offset += pg.limit;
          break;
        case Pagination::Kind::kCursor:
          if (info.cursor.empty() || info.cursor == cursor) return Status::Ok();
          cursor = info.cursor;
          break;
        case Pagination::Kind::kNextUrl:
        case Pagination::Kind::kLinkHeader: {
          const std::string next = pg.kind == Pagination::Kind::kNextUrl ? info.next_url : NextLink(resp.link);
          if (next.empty()) return Status::Ok();
          TC_ASSIGN_OR_RETURN(next_url, ResolveUrl(req.url, next));
          break;
        }
      }
    }
    return Status::Unavailable(fmt::format("more than pagination.max_pages = {} pages in one window", pg.max_pages));
  }

 private:
  void Sleep(int64_t ms) {
    if (ms <= 0) return;
    if (o_.sleep) o_.sleep(ms);
    else std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  void Event(const std::string& line) {
    if (o_.on_event) o_.on_event(line);
  }

  // One request with its retries: 429/503 (Retry-After), other 5xx, 408,
  // timeouts and connection errors are retried up to limits.max_attempts;
  // a 401 with OAuth2 gets a new token once; other 4xx fail at once.
  Result<HttpResponse> Send(const HttpRequest& base) {
    bool reauthorized = false;
    for (int attempt = 1;; ++attempt) {
      if (run_.requests >= c_.limits.max_requests)
        return Status::ResourceExhausted(fmt::format("limits.max_requests = {} reached in this run", c_.limits.max_requests));
      HttpRequest req = base;
      TC_RETURN_IF_ERROR(auth_.Apply(req, run_.requests));
      TC_ASSIGN_OR_RETURN(int64_t wait, pacer_.Reserve(clock_.NowMs()));
      Sleep(wait);
      ++run_.requests;
      Result<HttpResponse> resp = HttpExchange(req, c_.tls);
      std::string failure;
      int64_t delay = -1;
      if (!resp.ok()) {
        failure = resp.status().message();
      } else if (resp->status >= 200 && resp->status < 300) {
        return resp;
      } else if (resp->status == 401 && !reauthorized && auth_.Invalidate()) {
        reauthorized = true;
        Event("401 Unauthorized: fetching a new access token");
        --attempt;
        continue;
      } else if (resp->status == 429 || resp->status == 503 || resp->status == 408 || resp->status >= 500) {
        failure = fmt::format("{} {}: HTTP {} {}", req.method, RedactUrl(req.url), resp->status, Excerpt(resp->body));
        delay = ParseRetryAfterMs(resp->retry_after, clock_.NowMs());
        if (delay > c_.limits.retry_after_max_ms) {
          return Status::ResourceExhausted(fmt::format("{}; Retry-After asks for {} s, more than limits.retry_after_max: "
                                                       "the next run resumes from the watermark",
                                                       failure, delay / 1000));
        }
      } else {
        return Status::InvalidArgument(fmt::format("{} {}: HTTP {} {}", req.method, RedactUrl(req.url), resp->status,
                                                   Excerpt(resp->body)));
      }
      if (o_.should_stop && o_.should_stop()) return Status::ResourceExhausted("stopped (shutting down): " + failure);
      if (std::string why = LeaseLost(o_); !why.empty()) return Status::Aborted(why);
      if (attempt >= c_.limits.max_attempts)
        return Status::Unavailable(fmt::format("{} (gave up after {} attempts)", failure, attempt));
      if (delay < 0) delay = pacer_.Backoff(attempt);
      Event(fmt::format("retry {} in {} ms: {}", attempt, delay, failure));
      Sleep(delay);
    }
  }

  const ApiConnector& c_;
  const Clock& clock_;
  const PullOptions& o_;
  store::RunRecord& run_;
  Authorizer auth_;
  Pacer& pacer_;
};

}  // namespace

std::string WatermarkKey(const std::string& meter_id) { return "watermark:" + meter_id; }
std::string RetryKey(const std::string& meter_id) { return "retry:" + meter_id; }

std::string PullResultJson(const std::string& connector, const PullResult& r) {
  JsonWriter j;
  j.BeginObject().Key("connector").String(connector).Key("requests").Int(r.run.requests);
  j.Key("message").String(r.run.message).Key("windows").BeginArray();
  for (const auto& w : r.windows) {
    j.BeginObject().Key("meter").String(w.meter).Key("from").String(FormatIso8601(w.from));
    j.Key("to").String(FormatIso8601(w.to)).Key("pages").Int(w.pages).Key("error").String(w.error);
    if (w.retry) j.Key("retry").Bool(true);
    j.Key("bad_records").BeginArray();
    for (const BadRecord& b : w.bad_records) {
      j.BeginObject().Key("line").Int(b.line).Key("timestamp").String(b.timestamp).Key("message").String(b.message).EndObject();
    }
    j.EndArray();
    j.Key("report").Raw(w.report.ToJson());
    if (!w.points.empty()) {
      j.Key("points").BeginArray();
      for (const PreviewPoint& p : w.points) {
        j.BeginObject().Key("module").String(p.module).Key("unit").String(p.unit).Key("ts").String(FormatIso8601(p.ts))
            .Key("value").Number(p.value).EndObject();
      }
      j.EndArray();
    }
    j.EndObject();
  }
  j.EndArray().EndObject();
  return j.Take();
}

PullResult RunApiConnector(store::Store& store, const ApiConnector& c, const Clock& clock, const PullOptions& o) {
  PullResult result;
  store::RunRecord& run = result.run;
  run.connector = c.name;
  run.started = clock.NowMs();
  run.status = "running";
  auto event = [&](const std::string& line) {
    if (o.on_event) o.on_event(line);
  };
  std::string notes;  // records in error, named for the run record
  bool lease_lost = false;
  // The run stops here, its lease lost (`why`).
  auto lost = [&](const std::string& why) {
    lease_lost = true;
    event(why + ": the run stops here");
    run.message = why;
  };
  auto finish = [&](const std::string& failure) {
    run.finished = clock.NowMs();
    run.status = lease_lost ? "lease_lost" : failure.empty() && run.windows_failed == 0 ? "ok" : "failed";
    if (run.message.empty()) run.message = failure;
    if (!notes.empty()) run.message += (run.message.empty() ? "" : "; ") + notes;
    if (!o.preview && run.id > 0) {
      Status s = store.FinishRun(run);
      if (!s.ok()) event("cannot record the run: " + s.message());
    }
    return result;
  };
  if (!o.preview) {
    // The caller holds the connector's lease: a run still "running" was
    // killed (or stalled past its lease, then stopped by it).
    Result<int64_t> closed = store.CloseInterruptedRuns(c.name, run.started, o.fence);
    if (closed.ok() && *closed > 0) event(fmt::format("{} earlier run(s) had been interrupted: closed as such", *closed));
    Result<int64_t> id = store.StartRun(run);
    if (!id.ok()) return finish("cannot record the run: " + id.status().message());
    run.id = *id;
    if (store::IsLeaseLost(closed.status())) {
      lost(closed.status().message());
      return finish(closed.status().message());
    }
  }
  Result<files::Zone> zone = files::Zone::Locate(c.window.timezone);
  if (!zone.ok()) return finish(zone.status().message());

  std::vector<std::map<std::string, std::string>> meters = c.meters;
  if (meters.empty()) meters.push_back({{"id", "-"}});
  bool found = o.meter.empty();
  Runner runner(store, c, clock, o, run);
  // A named measurement map ([mapping] map = "NAME"): the one active now for the connector's scope.
  files::Profile base_mapping = c.mapping;
  if (Status s = files::ResolveProfileMap(store, c.scope, base_mapping); !s.ok()) return finish(s.message());
  for (const auto& meter : meters) {
    const std::string& id = meter.at("id");
    if (!o.meter.empty() && id != o.meter) continue;
    found = true;
    Vars vars = c.variables;
    for (const auto& [k, v] : meter) vars[k] = v;
    vars["meter"] = id;
    files::Profile mapping = base_mapping;
    Result<std::string> module = Expand(c.module, vars);
    Result<std::string> prefix = Expand(c.mapping.module_prefix, vars);
    if (!module.ok() || !prefix.ok()) return finish((module.ok() ? prefix : module).status().message());
    mapping.module_fixed = *module;
    mapping.module_prefix = *prefix;

    // The span to fetch.
    const EpochMs now = clock.NowMs();
    const EpochMs oldest = now - c.window.history_ms;
    EpochMs from = 0, end = 0;
    std::optional<EpochMs> watermark;
    Result<std::optional<std::string>> saved = store.GetState(c.name, WatermarkKey(id));
    if (!saved.ok()) return finish(saved.status().message());
    if (*saved) {
      int64_t v = 0;
      std::from_chars((*saved)->data(), (*saved)->data() + (*saved)->size(), v);
      watermark = v;
    }
    if (o.preview && o.from) {
      from = *o.from;
      end = o.to ? *o.to : now - c.window.lag_ms;
    } else {
      from = watermark ? std::max(oldest, *watermark - c.window.overlap_ms) : oldest;
      end = now - c.window.lag_ms;
    }
    if (c.window.align_days) {
      from = LocalMidnight(from, *zone);
      end = LocalMidnight(end, *zone);
    }
    // Spans whose records were in error on earlier runs: asked for again (first,
    // oldest first) while younger than window.record_retry, unless the windows
    // below cover them anyway.
    RetrySpans pending;
    if (c.checks.has_record_checks()) {
      Result<std::optional<std::string>> text = store.GetState(c.name, RetryKey(id));
      if (!text.ok()) return finish(text.status().message());
      if (*text) pending = ParseRetrySpans(**text);
    }
    const std::string pending_before = FormatRetrySpans(pending);
    std::vector<std::string> given_up;
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->second.since < now - c.window.record_retry_ms || it->first < oldest) {
        given_up.push_back(FormatIso8601(it->first));
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    if (!given_up.empty()) {
      std::string list;
      for (const auto& g : given_up) list += (list.empty() ? "" : ", ") + g;
      event(fmt::format("{}: given up (in error for longer than window.record_retry): {}", id, list));
      notes += fmt::format("{}{}: given up after window.record_retry: {}", notes.empty() ? "" : "; ", id, list);
    }
    std::vector<std::string> still_bad;  // for the run record

    // One span: all its pages, then its readings and the state in one transaction.
    auto do_window = [&](EpochMs w_from, EpochMs w_to, bool retry) -> Status {
      WindowResult w;
      w.meter = id;
      w.from = w_from;
      w.to = w_to;
      w.retry = retry;
      w.report.file = fmt::format("{} {} [{}, {})", c.name, id, FormatIso8601(w_from), FormatIso8601(w_to));
      w.report.profile = c.name;
      WindowBuffer buffer;
      Status s = runner.FetchWindow(vars, w_from, w_to, mapping, buffer, w, *zone);
      w.report.modules = buffer.module_count();
      if (s.ok() && w.report.error_count > 0 && !mapping.skip_bad_rows) {
        s = Status::InvalidArgument(fmt::format("{} record(s) in error (mapping.on_row_error = \"reject\"); first: {}",
                                                w.report.error_count, w.report.errors.empty() ? "" : w.report.errors[0].message));
      }
      // What stays to ask for again: the spans of this window's records in error.
      RetrySpans after = pending;
      if (s.ok()) {
        for (auto it = after.lower_bound(w_from); it != after.end() && it->first < w_to;) it = after.erase(it);
        for (const BadRecord& bad : w.bad_records) {
          const auto [b_from, b_to] = SpanOf(bad, c, *zone, w_from, w_to);
          auto old = pending.find(b_from);
          after[b_from] = {b_to, old != pending.end() ? old->second.since : now};
          still_bad.push_back(fmt::format("{} ({})", bad.timestamp.empty() ? FormatIso8601(b_from) : bad.timestamp,
                                          bad.message));
        }
      }
      if (s.ok() && !o.preview) {
        // The spans in error are saved before the window commits (a crash in
        // between asks for a good span once more, never forgets a bad one).
        RetrySpans before = pending;
        for (const auto& [k, v] : after) before.insert_or_assign(k, v);
        if (c.checks.has_record_checks() && FormatRetrySpans(before) != FormatRetrySpans(pending)) {
          s = store.PutState(c.name, RetryKey(id), FormatRetrySpans(before), o.fence);
        }
        if (s.ok()) {
          const EpochMs mark = retry ? watermark.value_or(0) : watermark ? std::max(*watermark, w_to) : w_to;
          if (retry && !watermark) {
            s = store.ImportWindow(c.scope, c.name, RetryKey(id), FormatRetrySpans(after),
                                   [&](ReadingWriter& writer) { return buffer.WriteTo(writer); }, o.fence);
          } else {
            s = store.ImportWindow(c.scope, c.name, WatermarkKey(id), std::to_string(mark),
                                   [&](ReadingWriter& writer) { return buffer.WriteTo(writer); }, o.fence);
          }
          if (s.ok()) {
            if (!retry) watermark = mark;
            w.committed = true;
            if (c.checks.has_record_checks() && FormatRetrySpans(after) != FormatRetrySpans(before)) {
              s = store.PutState(c.name, RetryKey(id), FormatRetrySpans(after), o.fence);
            }
          }
        }
      }
      if (s.ok()) pending = std::move(after);
      run.rows += w.report.rows;
      run.row_errors += w.report.error_count + static_cast<int64_t>(w.bad_records.size());
      if (s.ok() && o.preview && o.keep_points > 0) buffer.CopyPoints(o.keep_points, w.points);
      if (s.ok()) {
        ++run.windows;
        run.readings += static_cast<int64_t>(buffer.size());
        std::string bad;
        if (!w.bad_records.empty()) {
          bad = fmt::format("; {} record(s) in error, asked for again on later runs: {} {}", w.bad_records.size(),
                            w.bad_records[0].timestamp, w.bad_records[0].message);
        }
        event(fmt::format("{}: {} .. {}{}: {} page(s), {} reading(s){}{}", id, FormatIso8601(w_from), FormatIso8601(w_to),
                          retry ? " (asked again)" : "", w.pages, buffer.size(),
                          o.preview ? " (preview: not stored)" : ", committed", bad));
      } else {
        ++run.windows_failed;
        w.error = s.message();
        if (run.message.empty()) run.message = id + ": " + s.message();
        event(fmt::format("{}: {} .. {}: FAILED: {}", id, FormatIso8601(w_from), FormatIso8601(w_to), s.message()));
      }
      result.windows.push_back(std::move(w));
      return s;
    };

    if (!o.preview) {
      const RetrySpans todo = pending;
      for (const auto& [r_from, span] : todo) {
        if (r_from >= from && r_from < end) continue;  // the windows below ask for it
        if (o.should_stop && o.should_stop()) return finish("stopped (shutting down); the next run resumes from the watermarks");
        if (std::string why = LeaseLost(o); !why.empty()) {
          lost(why);
          return finish(why);
        }
        Status s = do_window(r_from, span.to, true);
        if (store::IsLeaseLost(s)) lost(s.message());
        if (!s.ok() && StopsRun(s)) return finish(run.message);
      }
      if (pending_before != FormatRetrySpans(pending) && !given_up.empty()) {
        Status s = store.PutState(c.name, RetryKey(id), FormatRetrySpans(pending), o.fence);
        if (store::IsLeaseLost(s)) lost(s.message());
        if (!s.ok()) return finish(s.message());
      }
    }

    if (from >= end) {
      event(fmt::format("{}: up to date (watermark {})", id, watermark ? FormatIso8601(*watermark) : "none"));
    }
    for (EpochMs w_from = from; w_from < end;) {
      if (o.should_stop && o.should_stop()) return finish("stopped (shutting down); the next run resumes from the watermarks");
      if (std::string why = LeaseLost(o); !why.empty()) {
        lost(why);
        return finish(why);
      }
      EpochMs w_to = c.window.align_days ? AddLocalDays(w_from, c.window.max_ms / 86400000, *zone) : w_from + c.window.max_ms;
      w_to = std::min(w_to, end);
      Status s = do_window(w_from, w_to, false);
      if (!s.ok()) {
        if (store::IsLeaseLost(s)) lost(s.message());
        if (StopsRun(s)) return finish(run.message);
        break;  // this meter stops at its watermark; the next run retries
      }
      w_from = w_to;
    }
    if (!still_bad.empty()) {
      std::string list;
      for (size_t i = 0; i < still_bad.size() && i < 10; ++i) list += (i ? ", " : "") + still_bad[i];
      if (still_bad.size() > 10) list += fmt::format(" and {} more", still_bad.size() - 10);
      notes += fmt::format("{}{}: {} record(s) in error, asked for again on later runs: {}", notes.empty() ? "" : "; ", id,
                           still_bad.size(), list);
    }
  }
  if (!found) return finish("no meter \"" + o.meter + "\" in this connector");
  return finish("");
}

}  // namespace telecollect::pull
