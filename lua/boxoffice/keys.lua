-- The sale-Redis keys of a session: the same list as internal/sale/keys.go
-- (openresty/keys_test.go checks that they agree). Every key of session N
-- starts with the hash tag {s:N}, so a session lives on one Redis Cluster
-- slot and every script touches one slot.
local tostring = tostring

local _M = { _VERSION = "0.1" }

-- NAMES are the keys of a session after its "{s:N}:" prefix; idem builds
-- the one family of keys with a name of their own.
_M.NAMES = { "meta", "seats", "price", "tier", "counts", "soldout", "reserved", "bloom", "held", "arms",
    "holds", "expiry", "outbox", "seq", "eventseq", "lease:timeouts", "conflict", "index", "packed", "order",
    "holders" }

local known = {}
for _, name in ipairs(_M.NAMES) do known[name] = true end

-- key returns the key name of session sid; an unknown name is an error.
function _M.key(sid, name)
    if not known[name] then
        error("no sale key " .. tostring(name), 2)
    end
    return "{s:" .. sid .. "}:" .. name
end

-- idem returns the key of buyer uid's idempotency record for key (an
-- Idempotency-Key header): the first answer to a grab with that key.
function _M.idem(sid, uid, key)
    return "{s:" .. sid .. "}:idem:" .. uid .. ":" .. key
end

-- grabs returns the key of session sid's grab counts of one unix second
-- (HASH outcome → count, written by grabcounts.lua, read by the admin
-- dashboard).
function _M.grabs(sid, second)
    return "{s:" .. sid .. "}:grabs:" .. second
end

-- HOLD are the keys of lua/redis/hold.lua in its KEYS order; the
-- idempotency record comes last.
local HOLD = { "meta", "seats", "price", "tier", "counts", "soldout", "reserved", "held", "holds", "expiry",
    "outbox", "seq", "conflict", "eventseq", "index", "packed", "holders" }

-- hold returns the KEYS of hold.lua for a grab by uid with Idempotency-Key key.
function _M.hold(sid, uid, key)
    local out = {}
    for i, name in ipairs(HOLD) do
        out[i] = _M.key(sid, name)
    end
    out[#HOLD + 1] = _M.idem(sid, uid, key)
    return out
end

return _M
