-- POST /api/sale/sessions/{sid}/holds in the nginx phases; what to answer
-- is decided by boxoffice.grab_decision. rewrite() counts the request
-- against its client IP's limit first (bad requests too), then checks the
-- request and the JWT and exposes the buyer as $grab_uid for limit_req
-- (per buyer); content() checks the sold-out flag, the Bloom filter and the
-- edge's copy of the seat map (seats all known taken: 409), then runs
-- lua/redis/hold.lua: one Redis round trip. A retry reaches the script to
-- be replayed, past the flag and the map, while the sold-out flood does
-- not: this edge answered its key 201 (or could not tell: a 503), kept in
-- the lua_shared_dict boxoffice_grab_keys, least recently used out first,
-- or the session granted it (its holders, boxoffice.seatmap), for a retry
-- that reaches another node.
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
-- the per-IP limit, the seat maps (boxoffice.seatmap) and the grab counts
-- (boxoffice.grabcounts).
local deps

local ANSWERED_TTL = 86400 -- as long as the script keeps its record (seconds)

-- init sets what grabs use; call it from init_by_lua. sale is a
-- boxoffice.redis connector, state a boxoffice.salestate, jwt_keys kid →
-- secret, script the source of hold.lua, ip_limit a boxoffice.limit, seats
-- a boxoffice.seatmap, counts a boxoffice.grabcounts (nil: grabs are not
-- counted).
function _M.init(sale, state, jwt_keys, script, ip_limit, seats, counts)
    deps = { sale = sale, state = state, verifier = assert(jwt.new(jwt_keys)),
        script = script, sha = to_hex(ngx.sha1_bin(script)), answered = assert(ngx.shared.boxoffice_grab_keys),
        ip_limit = ip_limit, seats = seats, counts = counts }
end

-- answer sends the outcome and counts it (here, not in a log phase: one
-- Lua handler less per request).
local function answer(o)
    ngx.var.grab_outcome = o.code
    metrics.outcome(o.code)
    if deps.counts then
        deps.counts:log(ngx.var.grab_sid, o.code)
    end
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
    args[n + 1], args[n + 2], args[n + 3], args[n + 4] = g.sid, g.uid, g.canon, deps.sale:run_of(red)
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
    local idem = keys.idem(g.sid, g.uid, g.key)
    local retry = deps.answered:get(idem)
    if sold_out and not retry then
        retry = deps.seats:holder(g.sid, idem, sold_out)
    end
    -- Once sold out, the filter need not be read.
    local o = decision.state(sold_out, sold_out or state:eligible(g.sid, g.uid), retry, state:recovering(g.sid))
    if not o then
        o = decision.taken(g.ids, deps.seats:codes(g.sid, g.ids), retry)
        if o and deps.seats:holder(g.sid, idem, 0) then
            o = nil
        end
    end
    if o then
        return answer(o)
    end
    local red, err = deps.sale:connect(g.sid)
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
        deps.answered:set(idem, true, ANSWERED_TTL)
    end
    if o.status == 201 then
        deps.seats:learn(g.sid, g.ids)
    elseif o.code == "seat_unavailable" then
        deps.seats:learn(g.sid, o.fields.seat_ids)
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
