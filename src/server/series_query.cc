#include "server/series_query.h"

#include <algorithm>

#include "core/csv_field.h"
#include "core/json_writer.h"
#include "core/time_util.h"

namespace telecollect::server {
namespace {

size_t CountBefore(const std::vector<Series>& series, EpochMs cut) {
  size_t n = 0;
  for (const Series& s : series) {
    n += static_cast<size_t>(std::lower_bound(s.points.begin(), s.points.end(), cut,
                                              [](const store::Point& p, EpochMs t) { return p.ts < t; }) -
                             s.points.begin());
  }
  return n;
}

}  // namespace

Result<SeriesAnswer> QuerySeries(store::Queries& store, const SeriesRequest& r) {
  SeriesAnswer answer;
  const bool aggregated = r.step_ms > 0 && r.agg != store::Aggregate::kNone;
  // What is given ends before `cut` (exclusive): r.to until more than the limit
  // came back. A cut is always after r.from (it moves past a first instant that
  // alone holds more than the limit), so later modules are read over a range.
  EpochMs cut = r.to;
  size_t total = 0;
  std::vector<EpochMs> times;
  for (const std::string& module : r.modules) {
    store::MeasurementQuery q;
    q.scope = r.scope;
    q.module = module;
    q.from = r.from;
    q.to = cut;
    q.step_ms = r.step_ms;
    q.agg = r.agg;
    q.limit = r.limit + 1;  // one more: whether there is more
    TC_ASSIGN_OR_RETURN(std::vector<store::Point> points, store.QueryMeasurements(q));
    total += points.size();
    answer.series.push_back({module, std::move(points)});
    if (total <= r.limit) continue;
    // More than the limit: cut at the instant of the (limit+1)-th point of all series together.
    times.clear();
    for (const Series& s : answer.series) {
      for (const store::Point& p : s.points) times.push_back(p.ts);
    }
    std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(r.limit), times.end());
    EpochMs at = times[r.limit];
    if (CountBefore(answer.series, at) == 0) {
      // More than the limit at the first instant itself: that instant whole, or no answer would move on.
      at += aggregated ? r.step_ms : 1;
    }
    cut = at;
    answer.truncated = true;
    answer.next_from = cut;
    total = 0;
    for (Series& s : answer.series) {
      auto end = std::lower_bound(s.points.begin(), s.points.end(), cut,
                                  [](const store::Point& p, EpochMs t) { return p.ts < t; });
      s.points.erase(end, s.points.end());
      total += s.points.size();
    }
  }
  return answer;
}

namespace {

void AppendWide(const SeriesAnswer& a, std::string& csv) {
  csv += "timestamp";
  for (const Series& s : a.series) csv += ',' + CsvField(s.module);
  csv += '\n';
  std::vector<size_t> at(a.series.size(), 0);
  while (true) {
    bool any = false;
    EpochMs next = 0;
    for (size_t i = 0; i < a.series.size(); ++i) {
      if (at[i] < a.series[i].points.size() && (!any || a.series[i].points[at[i]].ts < next)) {
        next = a.series[i].points[at[i]].ts;
        any = true;
      }
    }
    if (!any) return;
    AppendIso8601(csv, next);
    for (size_t i = 0; i < a.series.size(); ++i) {
      csv += ',';
      const auto& pts = a.series[i].points;
      if (at[i] < pts.size() && pts[at[i]].ts == next) AppendJsonNumber(csv, pts[at[i]++].value);
    }
    csv += '\n';
  }
}

}  // namespace

std::string SeriesCsv(const SeriesAnswer& a, SeriesLayout layout) {
  std::string csv;
  if (layout == SeriesLayout::kWide) {
    AppendWide(a, csv);
  } else {
    const bool long_form = layout == SeriesLayout::kLong;
    csv = long_form ? "timestamp,module,value\n" : "timestamp,value\n";
    for (const Series& s : a.series) {
      const std::string module = CsvField(s.module);
      for (const auto& pt : s.points) {
        AppendIso8601(csv, pt.ts);
        csv += ',';
        if (long_form) {
          csv += module;
          csv += ',';
        }
        AppendJsonNumber(csv, pt.value);
        csv += '\n';
      }
    }
  }
  if (a.truncated) csv += "# truncated: continue with from=" + FormatIso8601(a.next_from) + "\n";
  return csv;
}

}  // namespace telecollect::server
