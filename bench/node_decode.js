// Reference for bench/decode_bench: the same decoder in a plain Node (V8) loop,
// decode + JSON.stringify of the result (what telecollect does with a script's output).
const { decodeUplink } = require(require('path').resolve(process.argv[2]));
const n = Number(process.argv[3] || 300000);
const bytes = [0xcb, 0xf6, 0x0b, 0x0d, 0x03, 0x76, 0x01, 0x0a, 0xdd, 0x7f, 0xff];
let sink = 0;
const start = process.hrtime.bigint();
for (let i = 0; i < n; i++) sink += JSON.stringify(decodeUplink({ bytes, fPort: 2, recvTime: new Date(0) })).length;
const s = Number(process.hrtime.bigint() - start) / 1e9;
console.log(Math.round(n / s) + " " + sink);
