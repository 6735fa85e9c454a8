// Any bytes as an API answer, mapped under the two shapes of the shipped
// presets (Enedis: JSON, nested records, end-stamped local times with a step
// per point; GRDF: NDJSON with status lines and checks) and with the paging
// fields read. Never crashes; a business error maps nothing; readings never
// outnumber the records read.
#include <cstdint>
#include <string>

#include "pull/answer.h"
#include "pull/preset_mappings.h"

namespace {

using namespace telecollect;

struct Count final : ReadingWriter {
  Status Add(const std::vector<ModuleDef>&, std::span<const Reading> rs) override {
    n += rs.size();
    return Status::Ok();
  }
  size_t n = 0;
};

files::Profile Load(const char* text, bool module_given) { return *files::LoadProfileString(text, "fuzz", module_given); }

struct Shapes {
  files::Profile enedis = Load(pull::kEnedisLoadCurveMapping, true);
  files::Profile grdf = Load(pull::kGrdfAdictMapping, false);
  pull::ResponseChecks checks;
  pull::Pagination paging;
  Shapes() {
    enedis.module_fixed = "enedis.x.load_curve";
    grdf.skip_records_with = "/code_statut_traitement";
    checks.error_paths = {"/error"};
    checks.status_paths = {"/code_statut_traitement", "/statut_restitution/code_statut_traitement"};
    checks.status_ok = {"0000000000"};
    checks.message_paths = {"/message_retour_traitement"};
    paging.cursor_path = "/next_cursor";
    paging.next_path = "links.next";
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Shapes shapes;
  if (size == 0) return 0;
  const bool ndjson = (data[0] & 1) != 0;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  Count sink;
  files::ImportReport report;
  pull::AnswerInfo info;
  telecollect::Status s = pull::MapAnswer(body, ndjson ? shapes.grdf : shapes.enedis, shapes.checks, shapes.paging, sink,
                                          report, info);
  if (!s.ok() && s.message().empty()) __builtin_trap();
  if (!info.business_error.empty() && sink.n != 0) __builtin_trap();
  if (s.ok() && static_cast<int64_t>(sink.n) > info.records) __builtin_trap();
  return 0;
}
