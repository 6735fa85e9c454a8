#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "files/import_report.h"
#include "pull/answer.h"
#include "pull/api_connector.h"
#include "store/store.h"

namespace telecollect::pull {

struct PullOptions {
  // Preview (connector try): fetch [from, to) and store nothing — except a
  // rotated OAuth2 refresh token, which must never be lost.
  bool preview = false;
  std::optional<EpochMs> from, to;
  std::string meter;  // only this meter id (empty: all)
  // Preview: keep up to this many of each window's readings in WindowResult::points (the console's plot).
  size_t keep_points = 0;
  // One line per window dealt with, and per retry: logs and the CLI.
  std::function<void(const std::string& line)> on_event;
  // Sleeps between calls (quotas, Retry-After, backoff); tests may shorten.
  std::function<void(int64_t ms)> sleep;
  // Asked before each window and each retry: true stops the run there (serve
  // shutting down); what was committed stays, the next run resumes.
  std::function<bool()> should_stop;
  // Asked before each window and each retry: a non-empty answer ("lease lost:
  // ...") says the lease the run holds is lost (schedule/lease_keeper.h). The
  // run stops there, with status "lease_lost"; the next run, wherever it is,
  // resumes from the watermarks.
  std::function<std::string()> lease_lost;
  // The lease the run holds: its commits (windows, state, closing interrupted
  // runs) are fenced by it. nullopt: not under a lease (previews, tests).
  std::optional<store::Fence> fence;
};

// One reading a preview would store.
struct PreviewPoint {
  std::string module;
  std::string unit;
  EpochMs ts = 0;
  double value = 0;
};

struct WindowResult {
  std::string meter;
  EpochMs from = 0, to = 0;
  int pages = 0;
  bool committed = false;
  std::string error;  // why the window failed (then nothing of it was stored)
  files::ImportReport report;
  std::vector<PreviewPoint> points;  // preview with keep_points: the first readings, in order read
  bool retry = false;  // a span asked for again because records of it were in error
  std::vector<BadRecord> bad_records;  // records in error (response.record_*): left out, asked for again
};

struct PullResult {
  store::RunRecord run;
  std::vector<WindowResult> windows;
};

// One run of an API connector. For each meter, from its watermark minus the
// overlap (or now minus the history on the first run) up to now minus the
// lag, window after window (window.max each): every page is fetched, then the
// window's readings and the new watermark are committed in one transaction.
// A failed window stops that meter (no gap behind the watermark) and the run
// goes on with the next meter; a spent quota or a long Retry-After stops the
// run. The run is recorded unless previewing.
PullResult RunApiConnector(store::Store& store, const ApiConnector& connector, const Clock& clock,
                           const PullOptions& options);

// A run's result as JSON (connector try --json, POST /v1/connectors/{name}/try):
// {connector, requests, message, windows: [{meter, from, to, pages, error, report, points?: [{module, unit, ts, value}]}]}.
std::string PullResultJson(const std::string& connector, const PullResult& result);

// The state key of a meter's watermark.
std::string WatermarkKey(const std::string& meter_id);
// The state key of a meter's spans to ask for again (records in error):
// "from,to,since" entries (epoch ms) separated by ';'.
std::string RetryKey(const std::string& meter_id);

}  // namespace telecollect::pull
