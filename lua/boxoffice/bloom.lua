-- Bloom filter lookups compatible with Go's bits-and-blooms/bloom/v3:
-- the same murmur3 x64-128 base hashes, the same location function, and a
-- bitset stored as bytes with bit i at byte i//8, bit i%8 (little-endian
-- words). The filter itself is built in Go when a session is armed.
local ffi = require "ffi"
local bit = require "bit"

local band, bor, bxor = bit.band, bit.bor, bit.bxor
local lshift, rshift, rol = bit.lshift, bit.rshift, bit.rol
local byte = string.byte
local floor = math.floor
local tonumber = tonumber

local u64 = ffi.typeof("uint64_t")
local C1 = 0x87c37b91114253d5ULL
local C2 = 0x4cf5ad432745937fULL

local _M = { _VERSION = "0.1" }

-- word reads 8 bytes of s from i as a little-endian uint64; bytes past the
-- end of s read as zero.
local function word(s, i)
    local w = u64(0)
    for j = 7, 0, -1 do
        w = bor(lshift(w, 8), byte(s, i + j) or 0)
    end
    return w
end

local function fmix(k)
    k = bxor(k, rshift(k, 33))
    k = k * 0xff51afd7ed558ccdULL
    k = bxor(k, rshift(k, 33))
    k = k * 0xc4ceb9fe1a85ec53ULL
    return bxor(k, rshift(k, 33))
end

local function mix_k1(k1)
    return rol(k1 * C1, 31) * C2
end

local function mix_k2(k2)
    return rol(k2 * C2, 33) * C1
end

-- murmur128 is MurmurHash3 x64 128 with seed 0.
local function murmur128(s)
    local len = #s
    local h1, h2 = u64(0), u64(0)
    local nblocks = floor(len / 16)
    for b = 0, nblocks - 1 do
        local i = b * 16 + 1
        h1 = bxor(h1, mix_k1(word(s, i)))
        h1 = (rol(h1, 27) + h2) * 5 + 0x52dce729
        h2 = bxor(h2, mix_k2(word(s, i + 8)))
        h2 = (rol(h2, 31) + h1) * 5 + 0x38495ab5
    end
    local tail = nblocks * 16 + 1
    local rem = len - nblocks * 16
    if rem > 8 then
        h2 = bxor(h2, mix_k2(word(s, tail + 8)))
    end
    if rem > 0 then
        h1 = bxor(h1, mix_k1(word(s, tail)))
    end
    h1, h2 = bxor(h1, len), bxor(h2, len)
    h1 = h1 + h2
    h2 = h2 + h1
    h1, h2 = fmix(h1), fmix(h2)
    h1 = h1 + h2
    return h1, h2 + h1
end
_M.murmur128 = murmur128

-- locations returns the k bit positions (0-based) of key in a filter of m bits.
function _M.locations(key, m, k)
    local h = { [0] = 0 }
    h[0], h[1] = murmur128(key)
    h[2], h[3] = murmur128(key .. "\1")
    local mm = u64(m)
    local out = {}
    for i = 0, k - 1 do
        local loc = h[i % 2] + u64(i) * h[2 + floor(((i + i % 2) % 4) / 2)]
        out[i + 1] = tonumber(loc % mm)
    end
    return out
end

-- test reports whether key may be in the filter with bitset bits (a string
-- of ceil(m/8) or more bytes), m bits and k hashes.
function _M.test(bits, m, k, key)
    local locs = _M.locations(key, m, k)
    for i = 1, #locs do
        local pos = locs[i]
        local b = byte(bits, floor(pos / 8) + 1)
        if not b or band(b, lshift(1, pos % 8)) == 0 then
            return false
        end
    end
    return true
end

return _M
