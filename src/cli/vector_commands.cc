// telecollect decoders vectors: a vendor's examples (TTN codec YAML, JSON lines) as test vectors.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "decode/registry.h"
#include "decode/vendor_examples.h"

namespace telecollect::cli {

int RunDecoderVectors(const Config& config, const VectorArgs& a) {
  decode::ExampleOptions options;
  options.only = a.only;
  options.subset = a.subset;
  if (a.tolerance >= 0) options.tolerance = a.tolerance;
  std::optional<decode::DeviceType> type;
  if (!a.spec.empty()) {
    std::ifstream in(a.spec, std::ios::binary);
    if (!in) return Fail(Status::NotFound("cannot open " + a.spec));
    std::ostringstream text;
    text << in.rdbuf();
    auto registry = MakeRegistry(config);  // for its script decoder factory
    auto dt = decode::LoadDeclarativeSpec(text.str(), a.spec, registry->scripts());
    if (!dt.ok()) return Fail(dt.status());
    options.keep_identifiers = dt->keep_identifiers;
    type = std::move(dt).value();
  }
  auto vectors = decode::ReadVendorExamplesFile(a.file, options);
  if (!vectors.ok()) return Fail(vectors.status());
  if (!type) {
    std::printf("%s", decode::VectorsToToml(*vectors).c_str());
    std::fprintf(stderr, "%s: %zu examples as [[test]] vectors (append them to the spec)\n", a.file.c_str(),
                 vectors->size());
    return kExitOk;
  }
  type->tests = std::move(vectors).value();
  type->origin = a.file;  // failures name the examples' file
  Status s = decode::RunTestVectors(*type);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return kExitUsage;
  }
  std::printf("%s: %zu of %zu examples pass on %s v%s\n", a.file.c_str(), type->tests.size(), type->tests.size(),
              type->name.c_str(), type->version.c_str());
  return kExitOk;
}

}  // namespace telecollect::cli
