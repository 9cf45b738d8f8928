local cjson = require "cjson"

_G.ngx = _G.ngx or {}
local response = require "boxoffice.response"

describe("response.error_body", function()
    it("has the error code and message", function()
        local got = cjson.decode(response.error_body("not_found", "no such seat"))
        assert.are.same({ error = "not_found", message = "no such seat" }, got)
    end)

    it("adds extra fields", function()
        local got = cjson.decode(response.error_body("seat_unavailable", "taken", { seat_ids = { 3, 5 } }))
        assert.are.same({ 3, 5 }, got.seat_ids)
        assert.are.equal("seat_unavailable", got.error)
    end)

    it("never lets a field replace the code or message", function()
        local got = cjson.decode(response.error_body("sold_out", "gone", { error = "x", message = "y" }))
        assert.are.equal("sold_out", got.error)
        assert.are.equal("gone", got.message)
    end)
end)
