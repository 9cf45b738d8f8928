local cjson = require "cjson"
local bloom = require "boxoffice.bloom"

local function read_vectors()
    local f = assert(io.open("spec/testdata/bloom_vectors.json", "rb"))
    local v = cjson.decode(f:read("*a"))
    f:close()
    return v
end

local function unhex(s)
    return (s:gsub("..", function(h) return string.char(tonumber(h, 16)) end))
end

describe("boxoffice.bloom against Go's bloom/v3 vectors", function()
    local v = read_vectors()

    it("computes the same bit locations for every key", function()
        assert.is_true(#v.locations >= 600)
        for _, lv in ipairs(v.locations) do
            local got = bloom.locations(unhex(lv.key_hex), lv.m, lv.k)
            assert.are.same(lv.locs, got, "key " .. lv.key_hex)
        end
    end)

    it("finds every member of a Go-built filter", function()
        local f = v.filter
        local bits = unhex(f.bits_hex)
        for _, key in ipairs(f.members) do
            assert.is_true(bloom.test(bits, f.m, f.k, key), "member " .. key)
        end
    end)

    it("answers non-members exactly as Go does, false positives included", function()
        local f = v.filter
        local bits = unhex(f.bits_hex)
        local positives = 0
        for _, p in ipairs(f.others) do
            assert.are.equal(p.maybe, bloom.test(bits, f.m, f.k, p.key), "probe " .. p.key)
            if p.maybe then positives = positives + 1 end
        end
        assert.is_true(positives < #f.others / 20)
    end)

    it("treats a short bitset as not containing the key", function()
        assert.is_false(bloom.test("", 64, 3, "1"))
    end)
end)
