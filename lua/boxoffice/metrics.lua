-- Edge metrics in a shared dict, served as Prometheus text at /edge/metrics:
-- grabs by outcome, and the latency of the Redis script call.
local ngx = ngx
local concat, sort = table.concat, table.sort
local format = string.format

local _M = { _VERSION = "0.1" }

local BUCKETS = { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5 }

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
    for _, le in ipairs(BUCKETS) do
        if seconds <= le then
            d:incr(format('boxoffice_edge_script_seconds_bucket{le="%g"}', le), 1, 0)
        end
    end
    d:incr('boxoffice_edge_script_seconds_bucket{le="+Inf"}', 1, 0)
    d:incr("boxoffice_edge_script_seconds_count", 1, 0)
    d:incr("boxoffice_edge_script_seconds_sum", seconds, 0)
end

-- render returns the metrics as Prometheus text.
function _M.render()
    local d = dict()
    local keys = d:get_keys(0)
    sort(keys)
    local out = {
        "# HELP boxoffice_edge_grabs_total Grabs answered, by outcome.",
        "# TYPE boxoffice_edge_grabs_total counter",
        "# HELP boxoffice_edge_script_seconds Latency of the hold script call.",
        "# TYPE boxoffice_edge_script_seconds histogram",
    }
    for _, k in ipairs(keys) do
        out[#out + 1] = k .. " " .. format("%.17g", d:get(k) or 0)
    end
    return concat(out, "\n") .. "\n"
end

return _M
