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

describe("response.send", function()
    local fakes = require "spec.fakes"
    local rec

    before_each(function() rec = fakes.ngx({}) end)

    it("sends JSON that no cache keeps, and ends the request", function()
        response.json(201, { order_no = "B7-1-1" })
        assert.are.equal(201, ngx.status)
        assert.are.equal(201, rec.exit)
        assert.are.equal("application/json", rec.header["Content-Type"])
        assert.are.equal("no-store", rec.header["Cache-Control"])
        assert.are.equal('{"order_no":"B7-1-1"}\n', rec.body)
    end)

    it("sends an error with Retry-After", function()
        response.error(503, "unavailable", "try again", { retry_after = 1, fields = { seat_ids = { 3 } } })
        assert.are.equal(503, ngx.status)
        assert.are.equal("1", rec.header["Retry-After"])
        assert.are.same({ error = "unavailable", message = "try again", seat_ids = { 3 } }, cjson.decode(rec.body))
    end)

    it("sends text of another content type as it is", function()
        response.send(200, "a 1\n", "text/plain; version=0.0.4")
        assert.are.equal("text/plain; version=0.0.4", rec.header["Content-Type"])
        assert.are.equal("a 1\n", rec.body)
    end)
end)
