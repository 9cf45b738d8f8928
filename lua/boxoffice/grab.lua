-- POST /api/sale/sessions/{sid}/holds in the nginx phases; what to answer
-- is decided by boxoffice.grab_decision. rewrite() counts the request
-- against its client IP's limit first (bad requests too), then checks the
-- request and the JWT and exposes the buyer as $grab_uid for limit_req
-- (per buyer); content() checks the sold-out flag, the Bloom filter and the
-- edge's copy of the seat map (seats all known taken: 409), then runs
-- lua/redis/hold.lua: one Redis round trip. The keys this edge answered
-- 201 (or could not tell: a 503) are kept in the lua_shared_dict
-- boxoffice_grab_keys, least recently used out first, so their retries
-- reach the script to be replayed while the sold-out flood does not.
local decision = require "boxoffice.grab_decision"
local jwt = require "boxoffice.jwt"
local keys = require "boxoffice.keys"
local metrics = require "boxoffice.metrics"
local response = require "boxoffice.response"
local to_hex = require("boxoffice.resty").require("string").to_hex

local ngx = ngx
local find = string.find
local unpack = unpack

local _M = { _VERSION = "0.1" }

-- deps are set once by init: the sale Redis connector, the sale state, the
-- JWT verifier, the hold script with its SHA1 (hex), the answered keys,
-- the per-IP limit and the seat maps (boxoffice.seatmap).
local deps

local ANSWERED_TTL = 86400 -- as long as the script keeps its record (seconds)

-- init sets what grabs use; call it from init_by_lua. sale is a
-- boxoffice.redis connector, state a boxoffice.salestate, jwt_keys kid →
-- secret, script the source of hold.lua, ip_limit a boxoffice.limit, seats
-- a boxoffice.seatmap.
function _M.init(sale, state, jwt_keys, script, ip_limit, seats)
    deps = { sale = sale, state = state, verifier = assert(jwt.new(jwt_keys)),
        script = script, sha = to_hex(ngx.sha1_bin(script)), answered = assert(ngx.shared.boxoffice_grab_keys),
        ip_limit = ip_limit, seats = seats }
end

local function answer(o)
    ngx.var.grab_outcome = o.code
    metrics.outcome(o.code)
    if o.status == 201 then
        return response.json(201, o.body)
    end
    return response.error(o.status, o.code, o.message, { fields = o.fields, retry_after = o.retry_after })
end

-- rewrite runs before limit_req (per buyer).
function _M.rewrite()
    if not deps.ip_limit:incoming(ngx.var.binary_remote_addr, ngx.now()) then
        return answer(decision.rate_limited())
    end
    local sid = ngx.var.grab_sid
    ngx.req.read_body()
    local raw = ngx.req.get_body_data()
    local g, o = decision.request({
        method = ngx.req.get_method(),
        content_type = ngx.var.content_type,
        idempotency_key = ngx.var.http_idempotency_key,
        body = raw,
        body_in_file = not raw and ngx.req.get_body_file() ~= nil,
        limit = deps.state:limit(sid),
        authorization = ngx.var.http_authorization,
        now = ngx.time(),
    }, deps.verifier)
    if not g then
        return answer(o)
    end
    g.sid = sid
    ngx.var.grab_uid = g.uid
    ngx.ctx.grab = g
end

-- run_script runs hold.lua by its SHA1, sending the source only when Redis
-- does not have it yet.
local function run_script(red, g)
    local args = keys.hold(g.sid, g.uid, g.key)
    local n = #args
    args[n + 1], args[n + 2], args[n + 3], args[n + 4] = g.sid, g.uid, g.canon, deps.sale.run_id
    for i, id in ipairs(g.ids) do
        args[n + 4 + i] = id
    end
    local res, err = red:evalsha(deps.sha, n, unpack(args))
    if not res and err and find(err, "NOSCRIPT", 1, true) then
        res, err = red:eval(deps.script, n, unpack(args))
    end
    return res, err
end

-- content runs after the rate limits.
function _M.content()
    local g = ngx.ctx.grab
    local state = deps.state
    state:seen(g.sid)
    local sold_out = state:sold_out(g.sid)
    local answered_key = g.sid .. ":" .. g.uid .. ":" .. g.key
    local answered = deps.answered:get(answered_key)
    -- Once sold out, the filter need not be read.
    local o = decision.state(sold_out, sold_out or state:eligible(g.sid, g.uid), answered, state:recovering(g.sid))
        or decision.taken(g.ids, deps.seats:codes(g.sid, g.ids), answered)
    if o then
        return answer(o)
    end
    local red, err = deps.sale:connect()
    local res
    if red then
        local began = ngx.now()
        res, err = run_script(red, g)
        ngx.update_time()
        metrics.script_latency(ngx.now() - began)
    end
    -- false is an error Redis answered (a full Redis refusing writes):
    -- the connection is sound. nil is a broken or timed-out one.
    if res ~= nil then
        deps.sale:release(red)
    elseif red then
        red:close()
    end
    if not res then
        ngx.log(ngx.ERR, "sale Redis: ", err)
    end
    o = decision.script(res)
    if o.status == 201 or o.status == 503 then
        deps.answered:set(answered_key, true, ANSWERED_TTL)
    end
    return answer(o)
end

-- rate_limited answers a request limit_req refused.
function _M.rate_limited()
    return answer(decision.rate_limited())
end

-- too_large answers a body over client_max_body_size.
function _M.too_large()
    return answer(decision.too_large())
end

return _M
