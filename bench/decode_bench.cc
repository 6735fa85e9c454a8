// bench/decode_bench: frames/s of one decoder per kind on a typical sensor
// payload, single thread, in one run, all on the same Dragino LHT65 frame:
// native (C++), declarative (docs/examples/dragino-lht65.toml), script (the
// same layout in JavaScript, SpiderMonkey), and, when `node` is on PATH, the
// same JavaScript in a plain Node (V8) loop; then two more native decoders
// (Elsys ERS CO2, Netvox R718A) for scale.
//   decode_bench [source_dir=.] [seconds_per_case=2] [only=native|declarative|script]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "decode/device_type.h"
#include "decode/native/dragino_lht65.h"
#include "decode/native/elsys.h"
#include "decode/native/netvox.h"
#include "decode/script/script_decoder.h"

using namespace telecollect;
using namespace telecollect::decode;

namespace {

double Rate(const Decoder& d, const Bytes& payload, std::optional<int> fport, double seconds) {
  size_t n = 0, values = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < seconds && n < 100000000) {
    for (int i = 0; i < 1000; ++i) {
      std::string notes;  // as the push path decodes: with a place for what a script logs
      auto r = d.Decode({payload, fport, 0, &notes});
      if (!r.ok()) {
        std::fprintf(stderr, "decode failed: %s\n", r.status().ToString().c_str());
        std::exit(1);
      }
      values += r->size();
    }
    n += 1000;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  if (values == 0) std::exit(1);
  return n / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string src = argc > 1 ? argv[1] : ".";
  const double seconds = argc > 2 ? std::atof(argv[2]) : 2.0;
  const std::string only = argc > 3 ? argv[3] : "";
  auto want = [&](const char* kind) { return only.empty() || only == kind; };
  const Bytes elsys = *DecodeHex("0100e202290400270506060308");
  const Bytes lht65 = *DecodeHex("cbf60b0d0376010add7fff");

  const Bytes netvox_frame = *DecodeHex("010b012409ea1a90000000");
  DraginoLht65Decoder native;
  ElsysDecoder elsys_decoder;
  NetvoxDecoder netvox;
  std::ifstream spec_file(src + "/docs/examples/dragino-lht65.toml");
  std::ostringstream spec;
  spec << spec_file.rdbuf();
  auto declarative = LoadDeclarativeSpec(spec.str(), "dragino-lht65.toml");
  std::ifstream in(src + "/bench/lht65_decoder.js");
  std::ostringstream js;
  js << in.rdbuf();
  ScriptDecoder script(js.str(), "lht65_decoder.js", {});
  if (!declarative.ok() || !script.Check().ok()) {
    std::fprintf(stderr, "decoders missing: run from the source directory\n");
    return 1;
  }
  std::printf("decode: frames/s, one thread, %.0f s per case\n", seconds);
  if (want("native")) {
    std::printf("  native      dragino-lht65 (11 B)    %12.0f\n", Rate(native, lht65, 2, seconds));
    std::printf("  native      elsys ERS CO2 (13 B)    %12.0f\n", Rate(elsys_decoder, elsys, 1, seconds));
    std::printf("  native      netvox R718A (11 B)     %12.0f\n", Rate(netvox, netvox_frame, 6, seconds));
  }
  if (want("declarative")) {
    std::printf("  declarative dragino-lht65 (11 B)    %12.0f\n", Rate(*declarative->decoder, lht65, 2, seconds));
  }
  if (!want("script")) return 0;
  const double sm = Rate(script, lht65, 2, seconds);
  std::printf("  script      lht65 JS, SpiderMonkey  %12.0f\n", sm);
  const std::string cmd = "node " + src + "/bench/node_decode.js " + src + "/bench/lht65_decoder.js 300000 2>/dev/null";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    double v8 = 0;
    if (std::fscanf(p, "%lf", &v8) == 1 && v8 > 0) {
      std::printf("  reference   lht65 JS, Node (V8)     %12.0f   script/V8 = %.2f\n", v8, sm / v8);
    } else {
      std::printf("  reference   node not available\n");
    }
    pclose(p);
  }
  return 0;
}
