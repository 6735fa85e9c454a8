// First line: a timestamp format; the rest: a timestamp. Parsing either never
// crashes; a parsed time lies in the reading range once resolved in Paris.
#include <cstdint>
#include <string_view>

#include "files/local_time.h"
#include "files/timestamp_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect;
  using namespace telecollect::files;
  static Zone paris = *Zone::Locate("Europe/Paris");
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return 0;
  Result<TimestampFormat> f = TimestampFormat::Parse(in.substr(0, nl));
  if (!f.ok()) {
    if (f.status().message().empty()) __builtin_trap();
    return 0;
  }
  Result<TimestampFormat::Value> v = f->Read(in.substr(nl + 1));
  if (!v.ok()) {
    if (v.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (v->absolute) {
    if (!CheckReadingRange(v->utc).ok()) __builtin_trap();
    return 0;
  }
  SeriesClock clock;
  Result<ResolvedTime> r = ResolveInSeries(paris, v->local, clock);
  if (r.ok() && (r->utc < kMinEpochMs - 86400000 * 2 || r->utc > kMaxEpochMs + 86400000 * 2)) __builtin_trap();
  (void)FormatLocal(v->local);
  return 0;
}
