-- What to answer a grab, decided from facts alone (no nginx, no Redis):
-- boxoffice.grab gathers the facts in the nginx phases and sends the
-- outcome. An outcome is { status, code, message, fields, retry_after } for
-- a refusal, or { status = 201, code = "created" | "replayed", body }.
local body = require "boxoffice.body"
local cjson = require "cjson.safe"

local find, sub, format = string.find, string.sub, string.format
local os_date = os.date
local tonumber = tonumber

local _M = { _VERSION = "0.1" }

_M.MAX_SEATS = 20 -- until the session's own limit is known at the edge

local MESSAGES = {
    not_eligible = "you did not reserve this session",
    limit_exceeded = "that would take you over this session's seat limit",
    sale_not_open = "the sale is not open",
    not_found = "no such session or seat",
    seat_unavailable = "some of these seats are taken; nothing was held",
    sold_out = "sold out",
    idempotency_conflict = "this Idempotency-Key was used with another body",
    bad_request = "too many seats for this session",
    recovering = "the sale is being repaired after a failure; try again shortly",
}

-- RECOVERING_RETRY is the Retry-After (s) of a session being repaired.
local RECOVERING_RETRY = 2

local function refuse(status, code, message, fields, retry_after)
    return { status = status, code = code, message = message or MESSAGES[code], fields = fields,
        retry_after = retry_after }
end

local function iso(ms)
    return os_date("!%Y-%m-%dT%H:%M:%S", ms / 1000) .. format(".%03dZ", ms % 1000)
end

-- request checks the request before the rate limits, cheapest first. r has
-- method, content_type, idempotency_key, body (nil when nginx kept it in a
-- file: body_in_file), limit (the session's seat limit, if known),
-- authorization and now (unix seconds); verifier is a boxoffice.jwt. It
-- returns the grab { uid, key, ids, canon }, or nil and the outcome.
function _M.request(r, verifier)
    if r.method ~= "POST" then
        return nil, refuse(400, "bad_request", "use POST")
    end
    local ctype = r.content_type or ""
    if not find(ctype, "^application/json%s*;?") and ctype ~= "application/json" then
        return nil, refuse(400, "bad_request", "Content-Type must be application/json")
    end
    local key = r.idempotency_key
    if not key or #key > 64 or not find(key, "^[\33-\126]+$") then
        return nil, refuse(400, "bad_request", "Idempotency-Key must be 1 to 64 visible ASCII characters")
    end
    if r.body_in_file then
        return nil, refuse(400, "bad_request", "body is larger than 4096 bytes")
    end
    local ids, canon, err = body.parse(r.body, r.limit or _M.MAX_SEATS)
    if not ids then
        return nil, refuse(400, "bad_request", err)
    end
    local auth = r.authorization
    local token = auth and sub(auth, 1, 7) == "Bearer " and sub(auth, 8)
    local claims, jerr = verifier:verify(token or "", r.now)
    if not claims then
        return nil, refuse(401, "unauthorized", token and jerr or "missing bearer token")
    end
    if claims.role ~= "user" then
        return nil, refuse(403, "forbidden", "this needs a buyer's token")
    end
    return { uid = claims.sub, key = key, ids = ids, canon = canon }
end

-- state checks what the edge knows of the session after the rate limits:
-- whether it is being repaired, its sold-out flag, and whether its Bloom
-- filter lets the buyer pass. A possible retry (retry: this edge answered
-- the buyer's key 201 or could not tell, or the session granted it) goes to
-- the script even when sold out, to be replayed. It returns the outcome,
-- or nil when the hold script is to decide.
function _M.state(sold_out, eligible, retry, recovering)
    if recovering then
        return refuse(503, "recovering", nil, nil, RECOVERING_RETRY)
    end
    if retry then
        return nil
    end
    if sold_out then
        return refuse(410, "sold_out")
    end
    if not eligible then
        return refuse(403, "not_eligible")
    end
    return nil
end

-- taken refuses a grab whose seats are all taken in the edge's copy of
-- the packed seat map: ids are the seat ids (strings), codes their codes
-- (0 AVAILABLE, else taken; nil for a seat the copy lacks), or nil without
-- a fresh copy. A possible retry (see state) of a grab that succeeded
-- goes to the script to be replayed; so does any grab with a seat that
-- looks free or is unknown: the script is the only judge. It returns the
-- 409 the script would give, or nil.
function _M.taken(ids, codes, retry)
    if retry or not codes then
        return nil
    end
    local seats = {}
    for i, id in ipairs(ids) do
        local c = codes[i]
        if not c or c == 0 then
            return nil
        end
        seats[i] = tonumber(id)
    end
    return refuse(409, "seat_unavailable", nil, { seat_ids = seats })
end

-- script turns the hold script's reply {status, code, payload JSON} into
-- the outcome; nil (the sale Redis failed or was too slow) is a 503.
function _M.script(res)
    if not res then
        return refuse(503, "unavailable", "the sale is busy; try again shortly", nil, 1)
    end
    local status, code = tonumber(res[1]), res[2]
    local payload = cjson.decode(res[3]) or {}
    if status ~= 201 then
        if code == "sale_not_open" then
            payload.opens_at, payload.closes_at = iso(payload.opens_at), iso(payload.closes_at)
        end
        if code == "recovering" then
            return refuse(status, code, nil, nil, RECOVERING_RETRY)
        end
        return refuse(status, code, payload.message, payload)
    end
    payload.expires_at = iso(payload.expires_at)
    return { status = 201, code = code == "replay" and "replayed" or "created", body = payload }
end

-- rate_limited is the outcome of a grab limit_req refused.
function _M.rate_limited()
    return refuse(429, "rate_limited", "too many requests; slow down", nil, 1)
end

-- too_large is the outcome of a body over client_max_body_size.
function _M.too_large()
    return refuse(400, "bad_request", "body is larger than 4096 bytes")
end

return _M
