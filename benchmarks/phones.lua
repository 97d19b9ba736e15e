-- Simulated phones for webservice_load.py: each request is one phone's "what changed" poll
-- (answered 204) or a conditional fetch of its pass (304), now and then a full fetch (200).
local requests = {}

function init(args)
  for line in io.lines(args[1]) do
    local method, path, auth, since = line:match("^(%S+)\t(%S+)\t([^\t]*)\t(.*)$")
    local headers = {}
    if auth ~= "" then headers["Authorization"] = auth end
    if since ~= "" then headers["If-Modified-Since"] = since end
    requests[#requests + 1] = wrk.format(method, path, headers)
  end
  counter = math.random(#requests)
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

function done(summary, latency, requests)
  io.write(string.format("WRK requests=%d seconds=%.3f p50_us=%d p99_us=%d errors=%d non2xx3xx=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
