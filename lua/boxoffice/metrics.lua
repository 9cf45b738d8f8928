-- Edge metrics in a shared dict, served as Prometheus text at /edge/metrics:
-- grabs by outcome, and the latency of the Redis script call.
local ngx = ngx
local concat, sort = table.concat, table.sort
local format, sub = string.format, string.sub

local _M = { _VERSION = "0.1" }

local BUCKETS = { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5 }

local HEAD = table.concat({
    "# HELP boxoffice_edge_grabs_total Grabs answered, by outcome.",
    "# TYPE boxoffice_edge_grabs_total counter",
    "# HELP boxoffice_edge_script_seconds Latency of the hold script call.",
    "# TYPE boxoffice_edge_script_seconds histogram",
}, "\n") .. "\n"

-- A call is counted once, under ONLY and the first bucket it fits
-- (BUCKET_KEYS, "+Inf" last): one write, not one per bucket; render adds
-- them up into Prometheus's cumulative buckets.
local ONLY = "only:"
local BUCKET_KEYS = {}
for i, le in ipairs(BUCKETS) do
    BUCKET_KEYS[i] = format('boxoffice_edge_script_seconds_bucket{le="%g"}', le)
end
BUCKET_KEYS[#BUCKETS + 1] = 'boxoffice_edge_script_seconds_bucket{le="+Inf"}'

local function dict()
    return ngx.shared.boxoffice_metrics
end

-- outcome counts one grab answered with the outcome code.
function _M.outcome(code)
    dict():incr('boxoffice_edge_grabs_total{outcome="' .. code .. '"}', 1, 0)
end

-- script_latency records one Redis script call of the given seconds.
function _M.script_latency(seconds)
    local d = dict()
    local i = 1
    while BUCKETS[i] and seconds > BUCKETS[i] do
        i = i + 1
    end
    d:incr(ONLY .. BUCKET_KEYS[i], 1, 0)
    d:incr("boxoffice_edge_script_seconds_count", 1, 0)
    d:incr("boxoffice_edge_script_seconds_sum", seconds, 0)
end

-- render returns the metrics as Prometheus text.
function _M.render()
    local d = dict()
    local out = {}
    for _, k in ipairs(d:get_keys(0)) do
        if sub(k, 1, #ONLY) ~= ONLY then
            out[#out + 1] = k .. " " .. format("%.17g", d:get(k) or 0)
        end
    end
    if d:get("boxoffice_edge_script_seconds_count") then
        local total = 0
        for _, k in ipairs(BUCKET_KEYS) do
            total = total + (d:get(ONLY .. k) or 0)
            out[#out + 1] = k .. " " .. total
        end
    end
    if #out == 0 then
        return HEAD
    end
    sort(out)
    return HEAD .. concat(out, "\n") .. "\n"
end

return _M
