// A Dragino LHT65 decoder in the LoRaWAN Payload Codec API style, written for
// bench/decode_bench (same layout as decoders/dragino-lht65.toml).
function decodeUplink(input) {
  if (input.fPort !== 2) return { errors: ["unknown FPort"] };
  var b = input.bytes;
  function int16(hi, lo) { var v = (hi << 8) | lo; return v > 0x7fff ? v - 0x10000 : v; }
  var data = {
    battery_voltage: (((b[0] << 8) | b[1]) & 0x3fff) / 1000,
    battery_status: b[0] >> 6,
    temperature: int16(b[2], b[3]) / 100,
    humidity: ((b[4] << 8) | b[5]) / 10
  };
  if (b[6] === 1 && !(b[7] === 0x7f && b[8] === 0xff)) data.ext_temperature = int16(b[7], b[8]) / 100;
  return { data: data };
}
if (typeof module !== "undefined") module.exports = { decodeUplink: decodeUplink };
