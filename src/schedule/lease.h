#pragma once

#include <string>

#include "core/status.h"
#include "core/time_util.h"
#include "store/store.h"

namespace telecollect::schedule {

// This process as a lease holder: "<host>:<pid>".
std::string ThisHolder();

// Takes the lease `name` for this process (store::Store::TryLease). A lease
// still held by a process of this host that no longer exists (killed, crashed)
// is taken over at once instead of waiting for it to expire: a restart
// resumes right away. The fence to commit under when got; nullopt if a live
// process (or another node) holds it.
Result<std::optional<store::Fence>> TakeLease(store::Store& store, const std::string& name, EpochMs now,
                                              int64_t ttl_ms);

}  // namespace telecollect::schedule
