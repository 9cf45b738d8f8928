-- base64url (RFC 4648 §5, no padding) decoding for JWTs; ngx's decoder
-- when it is there, a plain Lua one otherwise (tests).
local ngx = ngx
local byte, char, gsub, find = string.byte, string.char, string.gsub, string.find
local floor = math.floor
local concat = table.concat

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
