local ffi = require "ffi"
local b64 = require "boxoffice.b64"

describe("boxoffice.b64", function()
    local buf = ffi.new("uint8_t[64]")
    local function into(s, at)
        local n = b64.decode_into(s, 1, #s, buf, at or 0)
        return n and ffi.string(buf + (at or 0), n)
    end

    it("decodes base64url without padding into a buffer", function()
        assert.are.equal("hello", into("aGVsbG8"))
        assert.are.equal("\251\255", into("-_8"))
        assert.are.equal("", into(""))
        assert.are.equal("hi", into("aGk", 5))
    end)

    it("agrees with decode", function()
        for _, s in ipairs({ "eyJhbGciOiJIUzI1NiJ9", "YQ", "YWI", "YWJj", "-_-_" }) do
            assert.are.equal(b64.decode(s), into(s))
        end
    end)

    it("refuses what is not base64url", function()
        assert.is_nil(into("aGVs*G8"))
        assert.is_nil(into("aGVsbG8="))
        assert.is_nil(into("a+b/"))
        assert.is_nil(into("abcde")) -- 4k + 1 characters
    end)
end)
