-- POST /api/sale/sessions/{sid}/holds: the hot path (DESIGN §6), cheapest
-- check first. rewrite() validates the request and the JWT and exposes the
-- buyer as $grab_uid for limit_req; content() checks the sold-out flag and
-- the Bloom filter, then runs the hold script: one Redis round trip.
local body = require "boxoffice.body"
local jwt = require "boxoffice.jwt"
local metrics = require "boxoffice.metrics"
local redisconn = require "boxoffice.redisconn"
local response = require "boxoffice.response"
local salestate = require "boxoffice.salestate"

local ngx = ngx
local cjson = require "cjson.safe"
local find, sub, format = string.find, string.sub, string.format
local os_date = os.date
local tonumber = tonumber

local _M = { _VERSION = "0.1" }

local MAX_SEATS = 20 -- until the session's own limit is known at the edge
local KEYS = { "meta", "seats", "price", "tier", "counts", "soldout", "reserved",
    "held", "holds", "expiry", "outbox", "seq" }

local cfg, verifier, script, script_sha

-- init loads the settings and the hold script; call it from init_by_lua.
function _M.init(settings, script_src)
    cfg = settings
    verifier = assert(jwt.new(cfg.jwt_keys))
    script = script_src
    script_sha = ngx.encode_base16 and ngx.encode_base16(ngx.sha1_bin(script)) or nil
end

local MESSAGES = {
    not_eligible = "you did not reserve this session",
    limit_exceeded = "that would take you over this session's seat limit",
    sale_not_open = "the sale is not open",
    not_found = "no such session or seat",
    seat_unavailable = "some of these seats are taken; nothing was held",
    sold_out = "sold out",
    idempotency_conflict = "this Idempotency-Key was used with another body",
    bad_request = "too many seats for this session",
}

local function fail(status, code, message, fields, retry_after)
    ngx.var.grab_outcome = code
    metrics.outcome(code)
    return response.error(status, code, message or MESSAGES[code], { fields = fields, retry_after = retry_after })
end

local function iso(ms)
    return os_date("!%Y-%m-%dT%H:%M:%S", ms / 1000) .. format(".%03dZ", ms % 1000)
end

-- rewrite runs before limit_req: body shape, Idempotency-Key, then JWT.
function _M.rewrite()
    local sid = ngx.var.grab_sid
    local ctype = ngx.var.content_type or ""
    if ngx.req.get_method() ~= "POST" then
        return fail(400, "bad_request", "use POST")
    end
    if not find(ctype, "^application/json%s*;?") and ctype ~= "application/json" then
        return fail(400, "bad_request", "Content-Type must be application/json")
    end
    local key = ngx.var.http_idempotency_key
    if not key or #key > 64 or not find(key, "^[\33-\126]+$") then
        return fail(400, "bad_request", "Idempotency-Key must be 1 to 64 visible ASCII characters")
    end
    ngx.req.read_body()
    local raw = ngx.req.get_body_data()
    if not raw and ngx.req.get_body_file() then
        return fail(400, "bad_request", "body is larger than 4096 bytes")
    end
    local ids, canon, err = body.parse(raw, salestate.limit(sid) or MAX_SEATS)
    if not ids then
        return fail(400, "bad_request", err)
    end
    local auth = ngx.var.http_authorization
    local token = auth and sub(auth, 1, 7) == "Bearer " and sub(auth, 8)
    local claims, jerr = verifier:verify(token or "", ngx.time())
    if not claims then
        return fail(401, "unauthorized", token and jerr or "missing bearer token")
    end
    if claims.role ~= "user" then
        return fail(403, "forbidden", "this needs a buyer's token")
    end
    ngx.var.grab_uid = claims.sub
    ngx.ctx.grab = { sid = sid, uid = claims.sub, key = key, ids = ids, canon = canon }
end

local function run_script(red, g)
    local n = #KEYS
    local args = { n + 1 }
    for i = 1, n do args[i + 1] = "{s:" .. g.sid .. "}:" .. KEYS[i] end
    args[n + 2] = "{s:" .. g.sid .. "}:idem:" .. g.uid .. ":" .. g.key
    args[n + 3], args[n + 4], args[n + 5] = g.sid, g.uid, g.canon
    for i, id in ipairs(g.ids) do args[n + 5 + i] = id end
    local res, err = red:evalsha(script_sha, unpack(args))
    if not res and err and find(err, "NOSCRIPT", 1, true) then
        res, err = red:eval(script, unpack(args))
    end
    return res, err
end

-- content runs after the rate limits: flags, filter, then the script.
function _M.content()
    local g = ngx.ctx.grab
    salestate.seen(g.sid)
    if salestate.sold_out(g.sid) then
        return fail(410, "sold_out")
    end
    if not salestate.eligible(g.sid, g.uid) then
        return fail(403, "not_eligible")
    end
    local red, err = redisconn.connect(cfg)
    local res
    if red then
        local began = ngx.now()
        res, err = run_script(red, g)
        ngx.update_time()
        metrics.script_latency(ngx.now() - began)
    end
    if not res then
        if red then red:close() end
        ngx.log(ngx.ERR, "sale Redis: ", err)
        return fail(503, "unavailable", "the sale is busy; try again shortly", nil, 1)
    end
    redisconn.release(red, cfg)
    return _M.answer(res)
end

-- answer turns the script's {status, code, payload} into the response.
function _M.answer(res)
    local status, code = tonumber(res[1]), res[2]
    local payload = cjson.decode(res[3]) or {}
    if status ~= 201 then
        if code == "sale_not_open" then
            payload.opens_at, payload.closes_at = iso(payload.opens_at), iso(payload.closes_at)
        end
        return fail(status, code, payload.message, payload)
    end
    ngx.var.grab_outcome = code == "replay" and "replayed" or "created"
    metrics.outcome(ngx.var.grab_outcome)
    payload.expires_at = iso(payload.expires_at)
    ngx.status = 201
    ngx.header["Content-Type"] = "application/json"
    ngx.header["Cache-Control"] = "no-store"
    ngx.say(cjson.encode(payload))
    return ngx.exit(201)
end

-- rate_limited answers a request limit_req refused.
function _M.rate_limited()
    return fail(429, "rate_limited", "too many requests; slow down", nil, 1)
end

-- too_large answers a body over client_max_body_size.
function _M.too_large()
    return fail(400, "bad_request", "body is larger than 4096 bytes")
end

return _M
