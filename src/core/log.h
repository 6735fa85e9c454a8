#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "core/config.h"

namespace telecollect {

// Structured logs: one event name plus key=value fields, written as logfmt
// (`text`) or one JSON object per line (`json`) on stderr. Never pass a
// secret (token, password) as a field.
using LogField = std::pair<std::string_view, std::string>;

void InitLogging(const LogOptions& options);
void LogDebug(std::string_view event, std::initializer_list<LogField> fields = {});
void LogInfo(std::string_view event, std::initializer_list<LogField> fields = {});
void LogWarn(std::string_view event, std::initializer_list<LogField> fields = {});
void LogError(std::string_view event, std::initializer_list<LogField> fields = {});

enum class LogLevel { kDebug, kInfo, kWarn, kError };
// The same, with the level and the fields chosen at run time.
void LogAt(LogLevel level, std::string_view event, std::span<const LogField> fields);

}  // namespace telecollect
