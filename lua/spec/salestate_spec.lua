local fakes = require "spec.fakes"
local bit = require "bit"
local bloom = require "boxoffice.bloom"

-- filter returns the bitset of a Bloom filter of m bits and k hashes
-- holding the ids.
local function filter(m, k, ids)
    local bytes = {}
    for i = 1, m / 8 do bytes[i] = 0 end
    for _, id in ipairs(ids) do
        for _, pos in ipairs(bloom.locations(id, m, k)) do
            local i = math.floor(pos / 8) + 1
            bytes[i] = bit.bor(bytes[i], bit.lshift(1, pos % 8))
        end
    end
    return string.char(unpack(bytes))
end

describe("boxoffice.salestate", function()
    local salestate, dict, rec, store

    before_each(function()
        dict = fakes.dict()
        rec = fakes.ngx({ boxoffice_sale = dict })
        package.loaded["boxoffice.salestate"] = nil
        salestate = require "boxoffice.salestate"
        store = {
            ["{s:7}:meta"] = { version = "3", bloom_m = "1024", bloom_k = "4", limit = "4" },
            ["{s:7}:bloom"] = filter(1024, 4, { "42", "43" }),
        }
    end)

    local function state(opts)
        local sale = fakes.sale(store, opts)
        return assert(salestate.new("boxoffice_sale", sale)), sale
    end

    it("needs its shared dict", function()
        local s, err = salestate.new("missing", fakes.sale(store))
        assert.is_nil(s)
        assert.matches("missing", err)
    end)

    it("knows nothing of a session before a refresh: not sold out, no limit, everyone eligible", function()
        local s = state()
        assert.is_nil(s:sold_out("7"))
        assert.is_nil(s:limit("7"))
        assert.is_true(s:eligible("7", "99"))
    end)

    it("refreshes only the sessions seen, each on a connection to its node it releases", function()
        local s, sale = state()
        s:refresh()
        assert.are.equal(0, sale.connects)
        s:seen("7")
        s:refresh()
        assert.are.equal(1, sale.connects)
        assert.are.same({ "7" }, sale.sids)
        assert.are.equal(1, sale.released)
        assert.are.equal(4, s:limit("7"))
    end)

    it("raises the sold-out flag from {s:N}:soldout as the time it was first read, and clears it", function()
        local s = state()
        s:seen("7")
        store["{s:7}:soldout"] = "1"
        s:refresh()
        local first = s:sold_out("7")
        assert.are.equal(ngx.now(), first)
        ngx.now = function() return first + 1 end -- luacheck: ignore 122
        s:refresh()
        assert.are.equal(first, s:sold_out("7"), "still the first read's time")
        store["{s:7}:soldout"] = nil
        s:refresh()
        assert.is_nil(s:sold_out("7"))
    end)

    it("turns away a buyer the loaded filter does not hold, and only then", function()
        local s = state()
        s:seen("7")
        s:refresh()
        assert.is_true(s:eligible("7", "42"))
        assert.is_true(s:eligible("7", 43))
        assert.is_false(s:eligible("7", "99"))
    end)

    it("reads the filter again only when the arm version moves", function()
        local s, sale = state()
        s:seen("7")
        s:refresh()
        local gets = #sale.commands
        s:refresh()
        assert.are.equal(gets + 2, #sale.commands, "soldout and meta, not the bloom")
        store["{s:7}:meta"].version = "4"
        store["{s:7}:bloom"] = filter(1024, 4, { "99" })
        s:refresh()
        assert.is_true(s:eligible("7", "99"))
        assert.is_false(s:eligible("7", "42"))
    end)

    it("forgets the filter of a session that is no longer armed", function()
        local s = state()
        s:seen("7")
        s:refresh()
        store["{s:7}:meta"] = nil
        s:refresh()
        assert.is_true(s:eligible("7", "99"))
    end)

    it("logs a Redis that is down and keeps what it knew", function()
        local s = state()
        s:seen("7")
        s:refresh()
        s = state({ down = true })
        s:seen("7")
        s:refresh()
        assert.matches("connection refused", rec.logged[1])
        assert.are.equal(4, s:limit("7"))
    end)

    it("closes a connection whose call failed", function()
        local s, sale = state({ fail = "timeout" })
        s:seen("7")
        s:refresh()
        assert.are.equal(1, sale.closed)
        assert.are.equal(0, sale.released)
        assert.matches("session 7: timeout", rec.logged[1])
    end)

    it("refreshes on a timer every given seconds", function()
        local s = state()
        s:start(0.5)
        assert.are.equal(0.5, rec.every)
        local fn = rec.timer
        s:seen("7")
        store["{s:7}:soldout"] = "1"
        fn(true) -- premature: nginx is exiting
        assert.is_nil(s:sold_out("7"))
        fn(false)
        assert.is_number(s:sold_out("7"))
    end)
end)
