-- resty.lrucache reads ngx.now when it loads.
_G.ngx = _G.ngx or {}
ngx.now = ngx.now or os.time -- luacheck: ignore 122
local cjson = require "cjson"
local hmac = require "openssl.hmac"
local jwt = require "boxoffice.jwt"

local function b64url(s)
    local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    local out = {}
    for i = 1, #s, 3 do
        local a, b, c = s:byte(i, i + 2)
        local n = a * 65536 + (b or 0) * 256 + (c or 0)
        local chars = 2 + (b and 1 or 0) + (c and 1 or 0)
        for j = 1, chars do
            local idx = math.floor(n / 64 ^ (4 - j)) % 64
            out[#out + 1] = alphabet:sub(idx + 1, idx + 1)
        end
    end
    return table.concat(out)
end

local SECRET = string.rep("s", 32)
local NOW = 1800000000

local function token(header, claims, secret, alg)
    local h = b64url(cjson.encode(header))
    local p = b64url(cjson.encode(claims))
    local sig = hmac.new(secret or SECRET, alg or "sha256"):final(h .. "." .. p)
    return h .. "." .. p .. "." .. b64url(sig)
end

-- raw signs header h and payload p (base64url text, or not) as they are.
local function raw(h, p)
    return h .. "." .. p .. "." .. b64url(hmac.new(SECRET, "sha256"):final(h .. "." .. p))
end

local function claims(over)
    local c = { sub = "42", role = "user", iss = "boxoffice", iat = NOW, exp = NOW + 7200 }
    for k, v in pairs(over or {}) do c[k] = v end
    return c
end

describe("boxoffice.jwt", function()
    local v = assert(jwt.new({ k1 = SECRET, old = string.rep("o", 32) }))
    local header = { alg = "HS256", typ = "JWT", kid = "k1" }

    it("accepts a valid token", function()
        local c = assert(v:verify(token(header, claims()), NOW))
        assert.are.equal("42", c.sub)
    end)

    it("accepts a retired key by its kid", function()
        local t = token({ alg = "HS256", kid = "old" }, claims(), string.rep("o", 32))
        assert.is_table(v:verify(t, NOW))
    end)

    it("accepts exp within 30 s of leeway", function()
        assert.is_table(v:verify(token(header, claims({ exp = NOW - 29 })), NOW))
    end)

    it("accepts the largest int64 subject", function()
        local c = assert(v:verify(token(header, claims({ sub = "9223372036854775807" })), NOW))
        assert.are.equal("9223372036854775807", c.sub)
    end)

    local bad = {
        ["subject past int64"] = function() return token(header, claims({ sub = "9223372036854775808" })) end,
        ["subject of 20 digits"] = function() return token(header, claims({ sub = "10000000000000000000" })) end,
        ["subject with a leading zero"] = function() return token(header, claims({ sub = "042" })) end,
        ["signed subject"] = function() return token(header, claims({ sub = "+42" })) end,
        ["expired"] = function() return token(header, claims({ exp = NOW - 31 })) end,
        ["no exp"] = function() return token(header, claims({ exp = cjson.null })) end,
        ["string exp"] = function() return token(header, claims({ exp = "9999999999" })) end,
        ["nbf ahead"] = function() return token(header, claims({ nbf = NOW + 31 })) end,
        ["iat ahead"] = function() return token(header, claims({ iat = NOW + 31 })) end,
        ["wrong issuer"] = function() return token(header, claims({ iss = "other" })) end,
        ["bad subject"] = function() return token(header, claims({ sub = "4x" })) end,
        ["numeric subject"] = function() return token(header, claims({ sub = 42 })) end,
        ["unknown kid"] = function() return token({ alg = "HS256", kid = "k9" }, claims()) end,
        ["no kid"] = function() return token({ alg = "HS256" }, claims()) end,
        ["alg none"] = function()
            local t = token({ alg = "none", kid = "k1" }, claims())
            return t:gsub("[^.]*$", "")
        end,
        ["HS512"] = function() return token({ alg = "HS512", kid = "k1" }, claims(), SECRET, "sha512") end,
        ["lower-case alg"] = function() return token({ alg = "hs256", kid = "k1" }, claims()) end,
        ["tampered payload"] = function()
            local t = token(header, claims())
            local h, _, s = t:match("^([^.]+)%.([^.]+)%.([^.]+)$")
            return h .. "." .. b64url(cjson.encode(claims({ sub = "1" }))) .. "." .. s
        end,
        ["tampered signature"] = function()
            -- Change a middle character: the last one may carry only
            -- padding bits that decoding drops.
            local t = token(header, claims())
            local i = #t - 10
            return t:sub(1, i - 1) .. (t:sub(i, i) == "A" and "B" or "A") .. t:sub(i + 1)
        end,
        ["signed payload not JSON"] = function() return raw(b64url(cjson.encode(header)), b64url("nope")) end,
        ["signed payload an array"] = function() return raw(b64url(cjson.encode(header)), b64url("[1]")) end,
        ["signed payload not base64url"] = function() return raw(b64url(cjson.encode(header)), "e30*") end,
        ["wrong secret"] = function() return token(header, claims(), string.rep("x", 32)) end,
        ["two parts"] = function() return "abc.def" end,
        ["four parts"] = function() return token(header, claims()) .. ".x" end,
        ["bad base64"] = function() return "a*b.c.d" end,
        ["header not JSON"] = function() return b64url("nope") .. "." .. b64url("{}") .. ".x" end,
    }
    for name, make in pairs(bad) do
        it("rejects " .. name, function()
            local c, err = v:verify(make(), NOW)
            assert.is_nil(c)
            assert.is_string(err)
        end)
    end

    describe("cache", function()
        -- A verifier whose keys the test can take away: what it still
        -- accepts then comes from its cache.
        local function verifier(size)
            local keys = { k1 = SECRET }
            return assert(jwt.new(keys, size)), keys
        end

        it("answers a token's retries from the cache", function()
            local c, keys = verifier()
            local t = token(header, claims())
            local first = assert(c:verify(t, NOW))
            keys.k1 = nil
            assert.are.equal(first, c:verify(t, NOW + 60))
            local other = token(header, claims({ sub = "43" }))
            local none, err = c:verify(other, NOW)
            assert.is_nil(none)
            assert.are.equal("token key id unknown", err)
        end)

        it("never answers from the cache past exp and the leeway", function()
            local c = verifier()
            local t = token(header, claims({ exp = NOW + 10 }))
            assert.is_table(c:verify(t, NOW))
            assert.is_table(c:verify(t, NOW + 40))
            local none, err = c:verify(t, NOW + 41)
            assert.is_nil(none)
            assert.are.equal("token expired", err)
        end)

        it("keeps only the tokens it accepted", function()
            local c, keys = verifier()
            local t = token(header, claims({ iss = "other" }))
            assert.is_nil(c:verify(t, NOW))
            keys.k1 = nil
            assert.is_nil(c:verify(t, NOW))
        end)

        it("holds at most its size, the least recently used out first", function()
            local c, keys = verifier(2)
            local t1, t2, t3 = token(header, claims({ sub = "1" })), token(header, claims({ sub = "2" })),
                token(header, claims({ sub = "3" }))
            for _, t in ipairs({ t1, t2, t3 }) do
                assert.is_table(c:verify(t, NOW))
            end
            keys.k1 = nil
            assert.is_nil(c:verify(t1, NOW))
            assert.is_table(c:verify(t2, NOW))
            assert.is_table(c:verify(t3, NOW))
        end)
    end)

    it("needs keys", function()
        assert.is_nil(jwt.new({}))
    end)
end)
