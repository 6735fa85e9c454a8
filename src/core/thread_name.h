#pragma once
// Thread names, as `top -H`, `ps -L`, perf and /proc/PID/task/TID/comm show
// them: an operator (or a profile) tells the HTTP threads from the writer,
// the fsync thread or a file import's reader.

#include <string>
#include <string_view>

namespace telecollect {

// Names the calling thread; Linux keeps the first 15 bytes.
void NameThisThread(std::string_view name);

// The calling thread's name ("" if it cannot be read).
std::string ThisThreadName();

}  // namespace telecollect
