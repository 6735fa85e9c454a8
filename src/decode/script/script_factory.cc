#include "decode/script/script_factory.h"

namespace telecollect::decode {

ScriptFactory MakeScriptFactory(ScriptLimits limits) {
  return [limits](const std::string& source, const std::string& name) -> Result<std::shared_ptr<const Decoder>> {
    auto decoder = std::make_shared<const ScriptDecoder>(source, name, limits);
    TC_RETURN_IF_ERROR(decoder->Check());
    return std::shared_ptr<const Decoder>(decoder);
  };
}

}  // namespace telecollect::decode
