local limit = require "boxoffice.limit"
local fakes = require "spec.fakes"

describe("limit", function()
    local function allowed(l, key, n, now)
        local ok = 0
        for _ = 1, n do
            if l:incoming(key, now) then ok = ok + 1 end
        end
        return ok
    end

    it("allows the burst and one more at once, then refuses", function()
        local l = limit.new(fakes.dict(), 10, 5)
        assert.equal(6, allowed(l, "a", 20, 100))
    end)

    it("keeps keys apart", function()
        local l = limit.new(fakes.dict(), 10, 0)
        assert.equal(1, allowed(l, "a", 3, 100))
        assert.equal(1, allowed(l, "b", 3, 100))
    end)

    it("refills at the rate", function()
        local l = limit.new(fakes.dict(), 10, 0)
        assert.equal(1, allowed(l, "a", 3, 100))
        assert.equal(0, allowed(l, "a", 1, 100.05))
        assert.equal(1, allowed(l, "a", 3, 100.2))
    end)
end)
