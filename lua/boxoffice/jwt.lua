-- JWT verification at the edge, the same rules as Go's internal/auth:
-- HS256 only, the key chosen by kid, exp required, 30 s of leeway on exp,
-- nbf and iat, iss "boxoffice". The signature is compared in constant time.
-- A verifier keeps the claims of the tokens it accepted in an LRU cache
-- (per nginx worker), keyed by the raw token, so a buyer's retries with the
-- same token skip the HMAC and the JSON; a cached token is still refused
-- once past its exp (and the leeway).
local cjson = require "cjson.safe"
local ffi = require "ffi"
local lrucache = require("boxoffice.resty").require("lrucache")
local b64 = require "boxoffice.b64"

local bit = require "bit"
local bor, bxor = bit.bor, bit.bxor
local byte, find, sub = string.byte, string.find, string.sub
local type, pcall = type, pcall

ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
    const void *d, size_t n, unsigned char *md, unsigned int *md_len);
]]

-- OpenSSL's libcrypto: nginx's own, else loaded (plain LuaJIT).
local crypto = ffi.C
if not pcall(function() return crypto.HMAC end) then
    crypto = ffi.load("libcrypto.so.3")
end

local _M = { _VERSION = "0.1" }
local mt = { __index = _M }

local LEEWAY = 30
local ISSUER = "boxoffice"
local INT64_MAX = "9223372036854775807"
local CACHE_SIZE = 10000 -- tokens per worker: a few MB
local MAX_TOKEN = 4096
local MAC_LEN = 32   -- HMAC-SHA256
local SIG_CHARS = 8  -- signature characters each side of the payload's JSON

-- Each worker's buffers for one check at a time (it never yields).
local mac, mac_len = ffi.new("unsigned char[64]"), ffi.new("unsigned int[1]")
local sig = ffi.new("uint8_t[64]")
local json = ffi.new("uint8_t[?]", MAX_TOKEN + 4 * SIG_CHARS)

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

-- The checks below make no Lua string of a token's signing input or
-- payload: those of one issuer's tokens share the bytes LuaJIT samples to
-- hash a string, and such strings, made per request, slow every string's
-- interning down (boxoffice.b64.decode_into).

-- signed reports whether the token's signature (after its second dot, at
-- d2) is the HMAC-SHA256 of what comes before, compared in constant time.
local function signed(secret, token, d2)
    if b64.decode_into(token, d2 + 1, #token, sig, 0) ~= MAC_LEN or
        crypto.HMAC(crypto.EVP_sha256(), secret, #secret, token, d2 - 1, mac, mac_len) == nil then
        return false
    end
    local diff = 0
    for i = 0, MAC_LEN - 1 do
        diff = bor(diff, bxor(sig[i], mac[i]))
    end
    return diff == 0
end

-- copy writes token[i..i+n-1] into json at at.
local function copy(token, i, n, at)
    for k = 0, n - 1 do
        json[at + k] = byte(token, i + k)
    end
    return at + n
end

-- payload decodes the claims (between the dots at d1 and d2) of a signed
-- token, as the JSON ["<the signature's first characters>", <claims>,
-- "<its last ones>"]: a string that differs from other tokens' where
-- LuaJIT samples it.
local function payload(token, d1, d2)
    local at = copy("[\"", 1, 2, 0)
    at = copy(token, d2 + 1, SIG_CHARS, at)
    at = copy("\",", 1, 2, at)
    local n = b64.decode_into(token, d1 + 1, d2 - 1, json, at)
    if not n then
        return nil
    end
    at = copy(",\"", 1, 2, at + n)
    at = copy(token, #token - SIG_CHARS + 1, SIG_CHARS, at)
    at = copy("\"]", 1, 2, at)
    local v = cjson.decode(ffi.string(json, at))
    if type(v) ~= "table" or type(v[2]) ~= "table" then
        return nil
    end
    return v[2]
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
    if type(token) ~= "string" or #token > MAX_TOKEN then
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
    local d1 = find(token, ".", 1, true)
    local d2 = d1 and find(token, ".", d1 + 1, true)
    if not d2 or find(token, ".", d2 + 1, true) then
        return nil, "token malformed"
    end
    local header = decode_json(sub(token, 1, d1 - 1))
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
    if not signed(secret, token, d2) then
        return nil, "token signature invalid"
    end
    local claims = payload(token, d1, d2)
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
