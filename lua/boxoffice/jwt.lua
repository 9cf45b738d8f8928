-- JWT verification at the edge, the same rules as Go's internal/auth:
-- HS256 only, the key chosen by kid, exp required, 30 s of leeway on exp,
-- nbf and iat, iss "boxoffice". The signature is compared in constant time.
-- A verifier keeps the claims of the tokens it accepted in an LRU cache
-- (per nginx worker), keyed by the raw token, so a buyer's retries with the
-- same token skip the HMAC and the JSON; a cached token is still refused
-- once past its exp (and the leeway).
local cjson = require "cjson.safe"
local hmac = require "openssl.hmac"
local lrucache = require("boxoffice.resty").require("lrucache")
local b64 = require "boxoffice.b64"

local bit = require "bit"
local bor, bxor = bit.bor, bit.bxor
local byte, find, sub = string.byte, string.find, string.sub
local type = type

local _M = { _VERSION = "0.1" }
local mt = { __index = _M }

local LEEWAY = 30
local ISSUER = "boxoffice"
local INT64_MAX = "9223372036854775807"
local CACHE_SIZE = 10000 -- tokens per worker: a few MB

-- new returns a verifier for keys, a table of kid → secret, that caches
-- up to cache_size accepted tokens (default 10,000).
function _M.new(keys, cache_size)
    if type(keys) ~= "table" or next(keys) == nil then
        return nil, "no JWT keys"
    end
    local cache, err = lrucache.new(cache_size or CACHE_SIZE)
    if not cache then
        return nil, "token cache: " .. tostring(err)
    end
    return setmetatable({ keys = keys, cache = cache }, mt)
end

local function equal(a, b)
    if #a ~= #b then
        return false
    end
    local diff = 0
    for i = 1, #a do
        diff = bor(diff, bxor(byte(a, i), byte(b, i)))
    end
    return diff == 0
end

local function split(token)
    local d1 = find(token, ".", 1, true)
    local d2 = d1 and find(token, ".", d1 + 1, true)
    if not d2 or find(token, ".", d2 + 1, true) then
        return nil
    end
    return sub(token, 1, d1 - 1), sub(token, d1 + 1, d2 - 1), sub(token, d2 + 1)
end

local function decode_json(part)
    local raw = b64.decode(part)
    local v = raw and cjson.decode(raw)
    if type(v) ~= "table" then
        return nil
    end
    return v
end

-- verify returns the claims of a valid token, or nil and the reason. The
-- claims may come from the cache: the caller must not change them.
function _M.verify(self, token, now)
    if type(token) ~= "string" or #token > 4096 then
        return nil, "token malformed"
    end
    local cached = self.cache:get(token)
    if cached and now <= cached.exp + LEEWAY then
        return cached
    end
    local claims, err = self:check(token, now)
    if claims then
        self.cache:set(token, claims)
    end
    return claims, err
end

-- check verifies a token without the cache.
function _M.check(self, token, now)
    local h, p, s = split(token)
    local header = h and decode_json(h)
    if not header then
        return nil, "token malformed"
    end
    if header.alg ~= "HS256" then
        return nil, "token algorithm must be HS256"
    end
    local secret = type(header.kid) == "string" and self.keys[header.kid]
    if not secret then
        return nil, "token key id unknown"
    end
    local sig = b64.decode(s)
    if not sig or not equal(hmac.new(secret, "sha256"):final(h .. "." .. p), sig) then
        return nil, "token signature invalid"
    end
    local claims = decode_json(p)
    if not claims then
        return nil, "token malformed"
    end
    return _M.check_claims(claims, now)
end

-- check_claims validates the time and identity claims.
function _M.check_claims(c, now)
    if type(c.exp) ~= "number" then
        return nil, "token has no exp"
    end
    if now > c.exp + LEEWAY then
        return nil, "token expired"
    end
    if c.nbf ~= nil and (type(c.nbf) ~= "number" or c.nbf > now + LEEWAY) then
        return nil, "token not valid yet"
    end
    if c.iat ~= nil and (type(c.iat) ~= "number" or c.iat > now + LEEWAY) then
        return nil, "token issued in the future"
    end
    if c.iss ~= ISSUER then
        return nil, "token issuer invalid"
    end
    -- A positive int64 in plain decimal, as Go reads it.
    local uid = type(c.sub) == "string" and find(c.sub, "^[1-9][0-9]*$")
        and (#c.sub < 19 or #c.sub == 19 and c.sub <= INT64_MAX)
    if not uid then
        return nil, "token subject invalid"
    end
    return c
end

return _M
