-- base64url (RFC 4648 §5, no padding) decoding for JWTs; ngx's decoder
-- when it is there, a plain Lua one otherwise (tests).
local ngx = ngx
local byte, char, gsub, find = string.byte, string.char, string.gsub, string.find
local floor = math.floor
local concat = table.concat
local bit = require "bit"
local band, bor, lshift, rshift = bit.band, bit.bor, bit.lshift, bit.rshift

local _M = { _VERSION = "0.1" }

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local value = {}
for i = 1, #alphabet do value[byte(alphabet, i)] = i - 1 end

local function plain(s)
    local out, acc, bits = {}, 0, 0
    for i = 1, #s do
        acc = acc * 64 + value[byte(s, i)]
        bits = bits + 6
        if bits >= 8 then
            bits = bits - 8
            local b = floor(acc / 2 ^ bits)
            out[#out + 1] = char(b)
            acc = acc - b * 2 ^ bits
        end
    end
    return concat(out)
end

-- decode_into writes the bytes of the base64url text s[i..j] into buf (a
-- uint8_t array of FFI) from index at, and returns how many, or nil if it
-- is not base64url. It makes no Lua string: a string interned per request
-- whose sampled bytes (LuaJIT hashes a few) are shared by many requests,
-- as a JWT's payload is, makes every such string's interning slower.
function _M.decode_into(s, i, j, buf, at)
    local n = j - i + 1
    if n < 0 or n % 4 == 1 then
        return nil
    end
    local acc, bits, out = 0, 0, at
    for k = i, j do
        local v = value[byte(s, k)]
        if not v then
            return nil
        end
        acc, bits = bor(lshift(band(acc, 0xffff), 6), v), bits + 6
        if bits >= 8 then
            bits = bits - 8
            buf[out] = band(rshift(acc, bits), 0xff)
            out = out + 1
        end
    end
    return out - at
end

-- decode returns the bytes of a base64url string, or nil if it is not one.
function _M.decode(s)
    if find(s, "[^A-Za-z0-9_-]") or #s % 4 == 1 then
        return nil
    end
    if ngx and ngx.decode_base64 then
        local std = gsub(gsub(s, "-", "+"), "_", "/")
        return ngx.decode_base64(std .. string.rep("=", (4 - #std % 4) % 4))
    end
    return plain(s)
end

return _M
