-- POST /v1/events (or the batch endpoint) in a closed loop, and print a JSON summary for the harness.
-- Arguments after `--`: path, API key, users, user prefix, events per request (0: a single event), and
-- the number of the first request (a run that goes on from an earlier one picks up its users where it stopped).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function event(user)
  return '{"target":{"user":"' .. user .. '"},"title":"Benchmark",'
    .. '"body":"A **benchmark** event, about as long as a short notification.","severity":"info"}'
end

function init(args)
  path, users, prefix, per_request = args[1], tonumber(args[3]), args[4], tonumber(args[5])
  headers = {["Authorization"] = "Bearer " .. args[2], ["Content-Type"] = "application/json"}
  counter, bad, rejected = tonumber(args[6]), 0, 0
  -- Batch bodies are built once: a few that together cover the users in turn.
  batches = {}
  if per_request > 0 then
    for b = 1, 8 do
      local events = {}
      for i = 1, per_request do
        events[i] = event(prefix .. (((b - 1) * per_request + i) % users))
      end
      batches[b] = '{"events":[' .. table.concat(events, ",") .. ']}'
    end
  end
end

function request()
  counter = counter + 1
  local body
  if per_request > 0 then
    body = batches[counter % #batches + 1]
  else
    body = event(prefix .. (counter % users))
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, _, body)
  if status ~= 202 then
    bad = bad + 1
    local n = body and string.match(body, '"rejected":(%d+)')
    if n then rejected = rejected + tonumber(n) end
  end
end

function done(summary, latency, _)
  local bad_total, rejected_total = 0, 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    rejected_total = rejected_total + thread:get("rejected")
  end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"non_202":%d,"rejected_events":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes, bad_total, rejected_total,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
