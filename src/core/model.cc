#include "core/model.h"

namespace telecollect {

const char* EnvName(Env env) { return env == Env::kProd ? "prod" : "preprod"; }

Result<Env> ParseEnv(std::string_view text) {
  if (text == "preprod") return Env::kPreprod;
  if (text == "prod") return Env::kProd;
  return Status::InvalidArgument("env must be \"preprod\" or \"prod\", got \"" + std::string(text) + "\"");
}

const char* DecodeStatusName(DecodeStatus status) {
  switch (status) {
    case DecodeStatus::kDecoded: return "decoded";
    case DecodeStatus::kNoDecoder: return "no-decoder";
    case DecodeStatus::kFailed: return "failed";
  }
  return "unknown";
}

Result<DecodeStatus> ParseDecodeStatus(std::string_view text) {
  if (text == "decoded") return DecodeStatus::kDecoded;
  if (text == "no-decoder" || text == "pending") return DecodeStatus::kNoDecoder;
  if (text == "failed") return DecodeStatus::kFailed;
  return Status::InvalidArgument("status must be decoded, no-decoder (or pending) or failed, got \"" + std::string(text) + "\"");
}

}  // namespace telecollect
