#pragma once
// The web console's files, built into the binary (cmake/embed_files.cmake
// generates their definition from src/server/console/ and the Debian-packaged
// browser libraries under /usr/share/javascript).

#include <cstddef>
#include <string_view>

namespace telecollect::server {

struct EmbeddedFile {
  const char* name;  // path under /console/: "index.html", "js/app.js", "vendor/dygraph.min.js"
  const unsigned char* data;
  size_t size;

  std::string_view Bytes() const { return {reinterpret_cast<const char*>(data), size}; }
};

extern const EmbeddedFile kConsoleAssets[];
extern const size_t kConsoleAssetCount;

}  // namespace telecollect::server
