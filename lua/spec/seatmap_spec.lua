local cjson = require "cjson"
local fakes = require "spec.fakes"

describe("boxoffice.seatmap", function()
    local seatmap, dict, rec, store

    before_each(function()
        dict = fakes.dict()
        rec = fakes.ngx({ boxoffice_seats = dict })
        for _, name in ipairs({ "boxoffice.seatmap", "boxoffice.response" }) do package.loaded[name] = nil end
        seatmap = require "boxoffice.seatmap"
        store = { ["{s:7}:seats"] = { ["1"] = "A", ["2"] = "L:B7-1-1", ["3"] = "S:B7-1-2" } }
    end)

    local function maps(opts)
        local sale = fakes.sale(store, opts)
        return assert(seatmap.new("boxoffice_seats", sale, 1)), sale
    end

    it("reads the seat states from {s:N}:seats", function()
        local json = assert(maps():get("7"))
        local v = cjson.decode(json)
        assert.are.same({ ["1"] = "AVAILABLE", ["2"] = "LOCKED", ["3"] = "SOLD" }, v.seats)
        assert.are.equal(7, v.session_id)
        assert.are.equal("2027-01-15T08:00:00.250Z", v.at)
    end)

    it("serves its copy without Redis until the copy expires", function()
        local m, sale = maps()
        local first = m:get("7")
        store["{s:7}:seats"]["1"] = "S:B7-1-3"
        assert.are.equal(first, m:get("7"))
        assert.are.equal(1, sale.connects)
        dict.data["fresh:7"] = nil -- expired
        assert.matches('"1":"SOLD"', m:get("7"))
        assert.are.equal(2, sale.connects)
    end)

    it("serves the expired copy while another request refreshes it", function()
        local m, sale = maps()
        local first = m:get("7")
        dict.data["fresh:7"] = nil
        dict.data["lock:7"] = true -- another request is reading Redis
        assert.are.equal(first, m:get("7"))
        assert.are.equal(1, sale.connects)
    end)

    it("answers not_found for a session Redis does not have, and remembers it", function()
        local m, sale = maps()
        local json, err = m:get("8")
        assert.is_nil(json)
        assert.are.equal("not_found", err)
        assert.are.same({ nil, "not_found" }, { m:get("8") })
        assert.are.equal(1, sale.connects)
    end)

    it("serves the expired copy when Redis fails", function()
        local first = maps():get("7")
        dict.data["fresh:7"] = nil
        local m, sale = maps({ fail = "timeout" })
        assert.are.equal(first, m:get("7"))
        assert.are.equal(1, sale.closed)
        assert.matches("timeout", rec.logged[1])
        assert.is_nil(dict.data["lock:7"], "the refresh lock is given back")
    end)

    it("answers unavailable when Redis is down and there is no copy", function()
        assert.are.same({ nil, "unavailable" }, { maps({ down = true }):get("7") })
    end)

    describe("serve", function()
        it("answers 200 with the seat map", function()
            ngx.var.grab_sid = "7"
            seatmap.serve(maps())
            assert.are.equal(200, ngx.status)
            assert.are.equal("application/json", rec.header["Content-Type"])
            assert.are.equal("no-store", rec.header["Cache-Control"])
            assert.are.equal(7, cjson.decode(rec.body).session_id)
        end)

        it("answers 404 not_found for an unknown session", function()
            ngx.var.grab_sid = "8"
            seatmap.serve(maps())
            assert.are.equal(404, ngx.status)
            assert.are.equal("not_found", cjson.decode(rec.body).error)
        end)

        it("answers 503 unavailable with Retry-After when Redis is down", function()
            ngx.var.grab_sid = "7"
            seatmap.serve(maps({ down = true }))
            assert.are.equal(503, ngx.status)
            assert.are.equal("unavailable", cjson.decode(rec.body).error)
            assert.are.equal("1", rec.header["Retry-After"])
        end)

        it("answers 405 with Allow to other methods", function()
            rec.method = "POST"
            seatmap.serve(maps())
            assert.are.equal(405, ngx.status)
            assert.are.equal("GET, HEAD", rec.header["Allow"])
            assert.are.equal("method_not_allowed", cjson.decode(rec.body).error)
        end)
    end)
end)
