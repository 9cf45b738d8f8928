-- Grab counts per session, second and outcome for the admin dashboard.
-- Every grab's log phase counts its outcome in shared memory; a timer on
-- one worker adds the seconds that are over to the sale Redis once a
-- second, in one pipeline: HINCRBY {s:N}:grabs:<unix second> <outcome> n,
-- each key kept five minutes. Best effort: counts of a flush that fails
-- are tried again next second and dropped after a minute.
local redisconn = require "boxoffice.redisconn"

local ngx = ngx
local match = string.match
local tonumber = tonumber

local _M = { _VERSION = "0.1" }

local KEEP_REDIS = 300 -- seconds a second's counts stay in Redis
local KEEP_LOCAL = 60  -- seconds a count waits here for a flush

local function dict()
    return ngx.shared.boxoffice_grab_counts
end

-- log counts the finished grab's outcome; call from log_by_lua.
function _M.log()
    local sid, outcome = ngx.var.grab_sid, ngx.var.grab_outcome
    if sid and sid ~= "" and outcome and outcome ~= "" then
        dict():incr(sid .. " " .. ngx.time() .. " " .. outcome, 1, 0, KEEP_LOCAL)
    end
end

-- due lists the counts of seconds before now: { key, sid, second, outcome, n }.
local function due(d, now)
    local out = {}
    for _, key in ipairs(d:get_keys(0)) do
        local sid, sec, outcome = match(key, "^(%d+) (%d+) (%S+)$")
        local n = sid and tonumber(sec) < now and d:get(key)
        if n and n > 0 then
            out[#out + 1] = { key, sid, sec, outcome, n }
        end
    end
    return out
end

local function flush(premature, cfg)
    if premature then
        return
    end
    local d = dict()
    local batch = due(d, ngx.time())
    if #batch == 0 then
        return
    end
    local red, err = redisconn.connect(cfg)
    if not red then
        ngx.log(ngx.WARN, "grab counts: ", err)
        return
    end
    red:init_pipeline()
    for _, b in ipairs(batch) do
        local key = "{s:" .. b[2] .. "}:grabs:" .. b[3]
        red:hincrby(key, b[4], b[5])
        red:expire(key, KEEP_REDIS)
    end
    local res, perr = red:commit_pipeline()
    if not res then
        red:close()
        ngx.log(ngx.WARN, "grab counts: ", perr)
        return
    end
    redisconn.release(red, cfg)
    -- Subtract what was sent: a grab counted meanwhile stays for next time.
    for _, b in ipairs(batch) do
        d:incr(b[1], -b[5])
    end
end

-- start runs the flush timer on worker 0; call from init_worker_by_lua.
function _M.start(cfg)
    if ngx.worker.id() ~= 0 then
        return
    end
    local ok, err = ngx.timer.every(1, flush, cfg)
    if not ok then
        ngx.log(ngx.ERR, "cannot start the grab counts timer: ", err)
    end
end

return _M
