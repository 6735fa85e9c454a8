// Generates Adeunis frames and decodes them with Adeunis's own codec library
// (@adeunis/codecs): the reference for telecollect's native Adeunis decoders.
//   node reference.js OUT_DIR [COUNT_PER_MODEL] [SEED]
// Writes, per model, OUT_DIR/<devicetype>.payloads (one hex payload a line)
// and OUT_DIR/<devicetype>.expected.jsonl: what telecollect must store from
// each frame ({"values": {...}}) or {"error": "..."} when the library fails.
'use strict';
const fs = require('fs');
const path = require('path');
const codec = require('@adeunis/codecs');

const outDir = process.argv[2];
const count = Number(process.argv[3] || 400);
let seed = Number(process.argv[4] || 20261126) >>> 0;
if (!outDir) { console.error('usage: node reference.js OUT_DIR [COUNT] [SEED]'); process.exit(2); }

// mulberry32: a small deterministic generator, so a failure can be replayed.
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(random() * n);
const bytes = (n) => Array.from({ length: n }, () => int(256));
const pick = (list) => list[int(list.length)];

// Per model: library codec type, whether a timestamp may end the frame, and
// the frames to generate: code → function(status) giving the body after the
// frame code and status byte.
const history = (size, max) => () => bytes(size * (1 + int(max)));
const temps = (status) => bytes(((status & 0x10) ? 4 : 2) * (1 + int(6)));
const models = {
  'adeunis-comfort': { type: 'comfort', stamp: false, frames: { 0x4c: history(3, 8), 0x4d: () => bytes(4) } },
  'adeunis-comfort2': { type: 'comfort2', stamp: true, frames: { 0x4c: history(3, 8), 0x4d: () => bytes(4) } },
  'adeunis-comfort-co2': { type: 'comfortCo2', stamp: true, frames: { 0x6a: history(5, 6), 0x6b: () => bytes(6) } },
  'adeunis-temp': { type: 'temp', stamp: false, frames: { 0x43: () => tempV1() } },
  'adeunis-temp3': { type: 'temp3', stamp: false, frames: { 0x57: temps, 0x58: (s) => bytes((s & 0x10) ? 6 : 3) } },
  'adeunis-temp4': { type: 'temp4', stamp: true, frames: { 0x57: temps, 0x58: (s) => bytes((s & 0x10) ? 6 : 3) } },
  'adeunis-pulse': { type: 'pulse', stamp: false, frames: { 0x46: () => bytes(8), 0x47: () => bytes(4), 0x48: () => pulseHistory() } },
  'adeunis-pulse3': { type: 'pulse3', stamp: false, frames: { 0x46: () => bytes(8), 0x47: () => bytes(4), 0x5a: () => bytes(4 + 2 * int(10)), 0x5b: () => bytes(4 + 2 * int(10)) } },
  'adeunis-pulse4': { type: 'pulse4', stamp: true, frames: { 0x46: () => bytes(8), 0x47: () => bytes(4), 0x5a: () => bytes(4 + 2 * int(10)), 0x5b: () => bytes(4 + 2 * int(10)) } },
};

// Temp v1: probe ids and states in bytes 2 and 5, sometimes a disconnected probe.
function tempV1() {
  const b = bytes(6);
  if (random() < 0.2) { b[1] = 0x80; b[2] = 0x00; }
  if (random() < 0.2) { b[4] = 0x80; b[5] = 0x00; }
  if (random() < 0.3) b[3] = (b[3] & 0xf0) | 0x02;  // old firmware marker
  return b;
}
// Pulse 0x48: frame index 0 carries both indexes, then 4-byte delta pairs.
function pulseHistory() {
  const index = pick([0, 0, 1, 2, 3, 12]);
  return [index].concat(bytes(index === 0 ? 8 : 0), bytes(4 * int(6)));
}

const hex = (list) => Buffer.from(list).toString('hex');
const first = (list) => (Array.isArray(list) && list.length ? list[0] : undefined);

// What telecollect stores from the library's decoded content.
function expectedValues(code, content) {
  const v = {};
  const put = (key, value) => { if (value !== undefined && value !== null) v[key] = value; };
  const probe = (key, value) => { if (value !== undefined && value !== -3276.8) v[key] = value; };
  const active = (s) => (s === 'active' ? 1 : 0);
  const threshold = (s) => (s === 'highThreshold' ? 1 : s === 'lowThreshold' ? 2 : 0);
  switch (code) {
    case 0x4c: case 0x6a:
      put('temperature', first(content.temperature.values));
      put('humidity', first(content.humidity.values));
      if (content.co2) put('co2', first(content.co2.values));
      break;
    case 0x4d: case 0x6b:
      put('temperature', content.alarmTemperature.temperature.value);
      put('humidity', content.alarmHumidity.humidity.value);
      if (content.alarmCo2) put('co2', content.alarmCo2.co2.value);
      put('alarm_temperature', active(content.alarmTemperature.alarmStatus));
      put('alarm_humidity', active(content.alarmHumidity.alarmStatus));
      if (content.alarmCo2) put('alarm_co2', active(content.alarmCo2.alarmStatus));
      break;
    case 0x43:
      content.temperatures.forEach((t, i) => { if (t.state !== 'deactivated') probe(`temperature_${i + 1}`, t.value); });
      break;
    case 0x57:
      content.temperatures.forEach((t, i) => probe(`temperature_${i + 1}`, first(t.values)));
      break;
    case 0x58:
      content.alarms.forEach((a, i) => {
        probe(`temperature_${i + 1}`, a.temperature.value);
        put(`alarm_temperature_${i + 1}`, threshold(a.alarmStatus));
      });
      break;
    case 0x46: put('index_a', content.counterValues[0]); put('index_b', content.counterValues[1]); break;
    case 0x47: put('flow_a', content.flowValues[0]); put('flow_b', content.flowValues[1]); break;
    case 0x48: put('index_a', content.channels[0].index); put('index_b', content.channels[1].index); break;
    case 0x5a: put('index_a', first(content.counterValues)); break;
    case 0x5b: put('index_b', first(content.counterValues)); break;
  }
  put('low_battery', content.status && content.status.lowBattery ? 1 : 0);
  return v;
}

fs.mkdirSync(outDir, { recursive: true });
for (const [deviceType, model] of Object.entries(models)) {
  const decoder = new codec.Decoder();
  decoder.setDeviceType(model.type, 'dev');
  const payloads = [];
  const expected = [];
  const codes = Object.keys(model.frames).map(Number);
  for (let i = 0; i < count; ++i) {
    const code = pick(codes);
    let status = int(256) & ~0x04;
    const stamped = model.stamp && random() < 0.4;
    if (stamped) status |= 0x04;
    let frame = [code, status].concat(model.frames[code](status), stamped ? bytes(4) : []);
    // One frame in eight is cut short, as a radio or a platform may deliver it.
    // Not those with a timestamp: cut, their last 4 bytes are no longer a
    // timestamp and the library reads samples as one, which telecollect refuses.
    if (!stamped && random() < 0.125) frame = frame.slice(0, 2 + int(frame.length - 2));
    const content = decoder.decode(hex(frame), 'dev');
    payloads.push(hex(frame));
    expected.push(content.error ? { error: String(content.error) } : { values: expectedValues(code, content) });
  }
  fs.writeFileSync(path.join(outDir, `${deviceType}.payloads`), payloads.join('\n') + '\n');
  fs.writeFileSync(path.join(outDir, `${deviceType}.expected.jsonl`), expected.map((e) => JSON.stringify(e)).join('\n') + '\n');
}
