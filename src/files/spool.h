#pragma once

#include <string>

namespace telecollect::files {

// The spool: where remote files are downloaded before they are imported
// (<data_dir>/spool). A download is `fetch-<connector>-<pid>-<n>`, mode 0600,
// removed once its file is dealt with. A killed run leaves its downloads
// behind: the connector's next run (which holds the connector's lease, so no
// other run of it is alive) removes them first.

// The path of this process's `n`th download for `connector`.
std::string SpoolFileName(const std::string& spool_dir, const std::string& connector, int n);

// Removes `connector`'s downloads left in `spool_dir`, and any other download
// (another connector's, or of the older `fetch-<pid>-<n>` naming) whose
// process is gone: killed, or cut off by a power loss. Returns how many.
int RemoveStaleSpoolFiles(const std::string& spool_dir, const std::string& connector);

}  // namespace telecollect::files
