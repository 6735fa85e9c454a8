#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "core/json_writer.h"

namespace telecollect {
namespace {

std::atomic<bool> g_json{false};

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

std::string Format(std::string_view level, std::string_view event, std::span<const LogField> fields) {
  std::string out;
  if (g_json.load(std::memory_order_relaxed)) {
    JsonWriter w;
    w.BeginObject().Key("level").String(level).Key("event").String(event);
    for (const auto& [k, v] : fields) w.Key(k).String(v);
    w.EndObject();
    return w.Take();
  }
  out.append(event);
  for (const auto& [k, v] : fields) {
    out += ' ';
    out.append(k);
    out += '=';
    if (NeedsQuotes(v)) AppendJsonString(out, v);
    else out += v;
  }
  return out;
}

void Log(spdlog::level::level_enum lvl, std::string_view name, std::string_view event,
         std::span<const LogField> fields) {
  if (!spdlog::default_logger_raw()->should_log(lvl)) return;
  spdlog::default_logger_raw()->log(lvl, "{}", Format(name, event, fields));
}

}  // namespace

void InitLogging(const LogOptions& options) {
  auto logger = spdlog::stderr_logger_mt("telecollect");
  g_json = options.format == "json";
  // JSON lines carry their own fields; the timestamp is added in both formats.
  logger->set_pattern(g_json ? "{\"ts\":\"%Y-%m-%dT%H:%M:%S.%eZ\",\"log\":%v}" : "%Y-%m-%dT%H:%M:%S.%eZ %l %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(options.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void LogDebug(std::string_view e, std::initializer_list<LogField> f) { Log(spdlog::level::debug, "debug", e, {f.begin(), f.size()}); }
void LogInfo(std::string_view e, std::initializer_list<LogField> f) { Log(spdlog::level::info, "info", e, {f.begin(), f.size()}); }
void LogWarn(std::string_view e, std::initializer_list<LogField> f) { Log(spdlog::level::warn, "warn", e, {f.begin(), f.size()}); }
void LogError(std::string_view e, std::initializer_list<LogField> f) { Log(spdlog::level::err, "error", e, {f.begin(), f.size()}); }

void LogAt(LogLevel level, std::string_view e, std::span<const LogField> f) {
  switch (level) {
    case LogLevel::kDebug: return Log(spdlog::level::debug, "debug", e, f);
    case LogLevel::kInfo: return Log(spdlog::level::info, "info", e, f);
    case LogLevel::kWarn: return Log(spdlog::level::warn, "warn", e, f);
    case LogLevel::kError: return Log(spdlog::level::err, "error", e, f);
  }
}

}  // namespace telecollect
