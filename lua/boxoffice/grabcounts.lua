-- Grab counts per session, second and outcome for the admin dashboard.
-- Every grab's answer counts its outcome in shared memory; a timer on
-- one worker adds the seconds that are over to the sale Redis once a
-- second, in one pipeline per session: HINCRBY {s:N}:grabs:<unix second> <outcome> n,
-- each key kept five minutes (read by internal/sale GrabCounts). Best
-- effort: counts of a flush that fails are tried again next second and
-- dropped after a minute.
local keys = require "boxoffice.keys"

local ngx = ngx
local match = string.match
local tonumber, ipairs, pairs = tonumber, ipairs, pairs
local setmetatable = setmetatable

local _M = { _VERSION = "0.1" }
local mt = { __index = _M }

local KEEP_REDIS = 300 -- seconds a second's counts stay in Redis
local KEEP_LOCAL = 60  -- seconds a count waits here for a flush

-- new returns the counts kept in the lua_shared_dict dict_name and sent
-- to the sale Redis through sale (a boxoffice.redis connector).
function _M.new(dict_name, sale)
    local dict = ngx.shared[dict_name]
    if not dict then
        return nil, "no lua_shared_dict " .. dict_name
    end
    return setmetatable({ dict = dict, sale = sale }, mt)
end

-- log counts one grab of session sid answered with outcome.
function _M:log(sid, outcome)
    if sid and sid ~= "" and outcome and outcome ~= "" then
        self.dict:incr(sid .. " " .. ngx.time() .. " " .. outcome, 1, 0, KEEP_LOCAL)
    end
end

-- due lists the counts of seconds before now: { key, sid, second, outcome, n }.
local function due(dict, now)
    local out = {}
    for _, key in ipairs(dict:get_keys(0)) do
        local sid, sec, outcome = match(key, "^(%d+) (%d+) (%S+)$")
        local n = sid and tonumber(sec) < now and dict:get(key)
        if n and n > 0 then
            out[#out + 1] = { key, sid, sec, outcome, n }
        end
    end
    return out
end

-- flush sends the seconds that are over to Redis, one pipeline per
-- session (on a cluster, each to the node of its session).
function _M:flush()
    local by_sid = {}
    for _, b in ipairs(due(self.dict, ngx.time())) do
        local list = by_sid[b[2]] or {}
        list[#list + 1] = b
        by_sid[b[2]] = list
    end
    for sid, batch in pairs(by_sid) do
        self:send(sid, batch)
    end
end

-- send adds one session's due counts to Redis in one pipeline.
function _M:send(sid, batch)
    local red, err = self.sale:connect(sid)
    if not red then
        ngx.log(ngx.WARN, "grab counts: ", err)
        return
    end
    red:init_pipeline()
    for _, b in ipairs(batch) do
        local key = keys.grabs(b[2], b[3])
        red:hincrby(key, b[4], b[5])
        red:expire(key, KEEP_REDIS)
    end
    local res, perr = red:commit_pipeline()
    if not res then
        red:close()
        ngx.log(ngx.WARN, "grab counts: ", perr)
        return
    end
    self.sale:release(red)
    -- Subtract what was sent: a grab counted meanwhile stays for next time.
    for _, b in ipairs(batch) do
        self.dict:incr(b[1], -b[5])
    end
end

-- start runs the flush every second on this worker; call from
-- init_worker_by_lua on one worker.
function _M:start()
    local ok, err = ngx.timer.every(1, function(premature)
        if not premature then
            self:flush()
        end
    end)
    if not ok then
        ngx.log(ngx.ERR, "cannot start the grab counts timer: ", err)
    end
end

return _M
