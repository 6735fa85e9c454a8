#include "decode/native/json_values.h"

#include "decode/flatten.h"

namespace telecollect::decode {

Result<std::vector<DecodedValue>> JsonValuesDecoder::Decode(const DecodeInput& input) const {
  const std::string_view text(reinterpret_cast<const char*>(input.bytes.data()), input.bytes.size());
  auto values = FlattenJsonData(text);
  if (!values.ok()) return Status::InvalidArgument("payload is not a JSON object of values: " + values.status().message());
  return values;
}

}  // namespace telecollect::decode
