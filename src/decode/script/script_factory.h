#pragma once

#include "decode/device_type.h"
#include "decode/script/script_decoder.h"

namespace telecollect::decode {

// The ScriptFactory that builds SpiderMonkey decoders with `limits`, compiling
// each once (on the calling thread) to report syntax errors at load.
ScriptFactory MakeScriptFactory(ScriptLimits limits);

}  // namespace telecollect::decode
