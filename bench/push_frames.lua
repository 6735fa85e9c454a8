-- wrk script: POSTs unique generic-sensors frames (Dragino LHT65 readings, decoded
-- by the shipped spec). FRAMES per request (env TC_FRAMES, default 1); every frame
-- has a distinct (deviceid, timestamp) so none is a duplicate.
-- Env: TC_TOKEN (required), TC_FORMAT = telecollect | influx (line protocol, same values),
-- TC_CASE: a name put in the device ids, so that the frames of one case are not those of another.
-- TC_SEQ_START (default 0): where the frame counter (and so the timestamps) starts: a second run
-- on the same devices with a later start sends frames newer than the first run's, not copies.
local frames = tonumber(os.getenv("TC_FRAMES") or "1")
local token = os.getenv("TC_TOKEN") or ""
local format = os.getenv("TC_FORMAT") or "telecollect"
local thread_counter = 0
local case = os.getenv("TC_CASE") or "x"
local base_ts = 1600000000000

function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("tid", thread_counter)
end

local seq = tonumber(os.getenv("TC_SEQ_START") or "0")

local function frame_json(dev, ts)
  return '{"timestamp":' .. ts .. ',"deviceid":"' .. dev ..
         '","payload":"cbf60b0d0376010add7fff","devicetype":"dragino-lht65","fport":2}'
end

local function frame_line(dev, ts)
  return "lht65,device=" .. dev ..
         " battery_voltage=3.062,battery_status=3,temperature=28.29,humidity=88.6,ext_temperature=27.81 " .. ts
end

function request()
  local parts = {}
  local dev = "bench" .. case .. (tid or 0) .. "-" .. (seq % 1000)
  for i = 1, frames do
    seq = seq + 1
    local ts = base_ts + seq
    if format == "influx" then
      parts[i] = frame_line(dev, ts)
    else
      parts[i] = frame_json(dev, ts)
    end
  end
  if format == "influx" then
    return wrk.format("POST", "/write?db=bench&precision=ms", {["Content-Type"] = "text/plain"},
                      table.concat(parts, "\n"))
  end
  local body = frames == 1 and parts[1] or ("[" .. table.concat(parts, ",") .. "]")
  return wrk.format("POST", "/", {["Content-Type"] = "application/json", ["source"] = "generic-sensors",
                                  ["Authorization"] = "Basic " .. token}, body)
end

local non2xx = 0
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx <= 3 then io.stderr:write("non-2xx " .. status .. ": " .. body:sub(1, 200) .. "\n") end
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.3f p50_ms=%.3f p99_ms=%.3f errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
