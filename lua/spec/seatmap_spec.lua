local cjson = require "cjson"
local fakes = require "spec.fakes"

-- packed is a packed seat map of the given codes (four a byte, the first in
-- the high bits), as the sale scripts write it.
local function packed(codes)
    local out = {}
    for i = 1, #codes, 4 do
        local b = 0
        for j = 0, 3 do b = b * 4 + (codes[i + j] or 0) end
        out[#out + 1] = string.char(b)
    end
    return table.concat(out)
end

describe("boxoffice.seatmap", function()
    local seatmap, dict, rec, store

    before_each(function()
        dict = fakes.dict()
        rec = fakes.ngx({ boxoffice_seats = dict })
        for _, name in ipairs({ "boxoffice.seatmap", "boxoffice.response" }) do package.loaded[name] = nil end
        seatmap = require "boxoffice.seatmap"
        -- seats 10, 11, 12 and 20, 21: available, locked, sold, kept out, available
        store = { ["{s:7}:packed"] = packed({ 0, 1, 2, 3, 0 }), ["{s:7}:order"] = "[[10,3],[20,2]]" }
    end)

    local function maps(opts)
        local sale = fakes.sale(store, opts)
        return assert(seatmap.new("boxoffice_seats", sale, 1)), sale
    end

    it("answers the packed map in base64 with the seat order, read with one MGET from the session's node", function()
        local m, sale = maps()
        local json, etag = m:get("7")
        local v = cjson.decode(json)
        assert.are.same({ 7, 2, { { 10, 3 }, { 20, 2 } } }, { v.session_id, v.bits, v.order })
        assert.are.equal(fakes.base64(store["{s:7}:packed"]), v.states)
        assert.are.equal("2027-01-15T08:00:00.250Z", v.at)
        assert.matches('^W/".+"$', etag)
        assert.are.same({ "mget" }, sale.commands)
        assert.are.same({ "7" }, sale.sids)
    end)

    it("serves its copy without Redis until the copy expires", function()
        local m, sale = maps()
        local first, etag = m:get("7")
        store["{s:7}:packed"] = packed({ 1, 1, 2, 3, 0 })
        assert.are.equal(first, m:get("7"))
        assert.are.equal(1, sale.connects)
        dict.data["fresh:7"] = nil -- expired
        local second, etag2 = m:get("7")
        assert.are_not.equal(first, second)
        assert.are_not.equal(etag, etag2, "another map, another ETag")
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

    it("makes the first read of a session wait for the request already reading it", function()
        local m, sale = maps()
        dict.data["lock:7"] = true
        ngx.sleep = function() -- luacheck: ignore 122 (the other request finishes meanwhile)
            m:load("7")
        end
        assert.is_string(m:get("7"))
        assert.are.equal(1, sale.connects)
    end)

    it("answers unavailable when the first read it waited for failed", function()
        local m = maps()
        dict.data["lock:7"] = true
        ngx.sleep = function() dict.data["lock:7"] = nil end -- luacheck: ignore 122
        assert.are.same({ nil, "unavailable" }, { m:get("7") })
    end)

    it("answers not_found for a session Redis does not have, and remembers it", function()
        local m, sale = maps()
        assert.are.same({ nil, "not_found" }, { m:get("8") })
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

    describe("codes", function()
        it("reads each seat's code by its index in the seat order; nil for a seat the session lacks", function()
            local m = maps()
            m:get("7")
            assert.are.same({ 0, 1, 2, 3, 0 }, m:codes("7", { "10", "11", "12", "20", "21" }))
            local c = m:codes("7", { "9", "13", "19", "22", "11" })
            assert.are.same({ nil, nil, nil, nil, 1 }, { c[1], c[2], c[3], c[4], c[5] })
        end)

        it("has none without a fresh copy, and refreshes it in the background", function()
            local m, sale = maps()
            assert.is_nil(m:codes("7", { "11" }))
            assert.are.equal(1, rec.timers)
            assert.are.equal(1, sale.connects)
            assert.are.same({ 1 }, m:codes("7", { "11" }))
            assert.is_nil(dict.data["lock:7"])
        end)

        it("starts no refresh while one is running", function()
            local m = maps()
            dict.data["lock:7"] = true
            assert.is_nil(m:codes("7", { "11" }))
            assert.is_nil(rec.timers)
        end)

        it("has the seats this worker learned are taken, until the copy is read again", function()
            local m = maps()
            m:get("7")
            assert.are.same({ 0, 0 }, m:codes("7", { "10", "21" }))
            m:learn("7", { 10, "21", 99 })
            assert.are.same({ 1, 1, 1, 3 }, m:codes("7", { "10", "21", "11", "20" }))
            assert.is_nil(m:codes("7", { "99" })[1])
            store["{s:7}:packed"] = packed({ 0, 0, 2, 3, 2 })
            dict.data["fresh:7"] = nil
            m:get("7")
            assert.are.same({ 0, 2 }, m:codes("7", { "10", "21" }))
        end)

        it("forgets what it learned when the copy is read again, even unchanged (the seat was freed since)", function()
            local m = maps()
            m:get("7")
            assert.are.same({ 0 }, m:codes("7", { "10" }))
            m:learn("7", { 10 })
            assert.are.same({ 1 }, m:codes("7", { "10" }))
            dict.data["fresh:7"] = nil
            _G.ngx.now = function() return 1800000001.25 end -- the next read began later
            m:get("7")
            assert.are.same({ 0 }, m:codes("7", { "10" }))
        end)

        it("learns nothing without a copy", function()
            local m = maps()
            m:learn("7", { 10 })
            m:get("7")
            assert.are.same({ 0 }, m:codes("7", { "10" }))
        end)

        it("follows a new copy", function()
            local m = maps()
            m:get("7")
            assert.are.same({ 1 }, m:codes("7", { "11" }))
            store["{s:7}:packed"] = packed({ 0, 0, 2, 3, 0 })
            dict.data["fresh:7"] = nil
            m:get("7")
            assert.are.same({ 0 }, m:codes("7", { "11" }))
        end)
    end)

    describe("holders", function()
        -- 16 bits, 10 and 12 set. Digests, as ngx.sha1_bin gives them,
        -- whose first three 4-byte words are a name's bits: all set, one
        -- clear, and all set again by other words (26 and 28 mod 16).
        local HOLDERS = "\0\40"
        local GRANTED, OTHER, SAME_BITS = "{s:7}:idem:42:k-1", "{s:7}:idem:43:k-1", "{s:7}:idem:42:k-2"
        local words = { [GRANTED] = { 10, 12, 10 }, [OTHER] = { 10, 11, 12 }, [SAME_BITS] = { 26, 28, 10 } }

        before_each(function()
            store["{s:7}:holders"] = HOLDERS
            -- luacheck: ignore 122
            ngx.sha1_bin = function(s)
                local w = words[s]
                return "\0\0\0" .. string.char(w[1]) .. "\0\0\0" .. string.char(w[2]) .. "\0\0\0" ..
                    string.char(w[3]) .. string.rep("\0", 8)
            end
        end)

        it("answers from a copy read after the session was seen sold out", function()
            local m = maps()
            m:get("7") -- read at ngx.now()
            local before = ngx.now() - 1
            assert.is_true(m:holder("7", GRANTED, before))
            assert.is_true(m:holder("7", SAME_BITS, before), "a grab whose bits are all set passes too")
            assert.is_false(m:holder("7", OTHER, before))
            assert.is_nil(rec.timers)
        end)

        it("answers from the copy codes read when asked since 0", function()
            local m = maps()
            m:get("7")
            assert.are.same({ 1 }, m:codes("7", { "11" }))
            assert.is_true(m:holder("7", GRANTED, 0))
            assert.is_false(m:holder("7", OTHER, 0))
        end)

        it("lets everyone pass, and refreshes, when the copy is not newer than the sold-out flag", function()
            local m, sale = maps()
            m:get("7")
            assert.is_true(m:holder("7", OTHER, ngx.now()))
            assert.are.equal(1, rec.timers)
            assert.are.equal(2, sale.connects)
        end)

        it("answers from an expired copy while it is read again", function()
            local m, sale = maps()
            m:get("7")
            dict.data["fresh:7"] = nil -- expired
            dict.data["lock:7"] = true -- another request is reading Redis
            assert.is_false(m:holder("7", OTHER, ngx.now() - 1))
            assert.is_true(m:holder("7", GRANTED, ngx.now() - 1))
            assert.are.equal(1, sale.connects)
        end)

        it("lets everyone pass without a copy, and reads one", function()
            local m = maps()
            dict.data["lock:7"] = true -- another request is reading Redis
            assert.is_true(m:holder("7", OTHER, 0))
            dict.data["lock:7"] = nil
            assert.is_false(m:holder("7", OTHER, 0), "from the copy its own refresh read")
            assert.are.equal(1, rec.timers)
        end)

        it("has nothing in a session that keeps no holders or has no map", function()
            store["{s:7}:holders"] = nil
            local m = maps()
            m:get("7")
            assert.is_false(m:holder("7", GRANTED, 0))
            m:get("8")
            assert.is_false(m:holder("8", "{s:8}:idem:42:k-1", 0))
        end)
    end)

    describe("index_of", function()
        it("finds ids across runs, and nothing in the gaps", function()
            local runs = seatmap.decode_order("[[1,2],[5,1],[100,1000]]")
            local got = {}
            for _, id in ipairs({ 0, 1, 2, 3, 5, 6, 99, 100, 1099, 1100 }) do
                got[#got + 1] = seatmap.index_of(runs, id) or -1
            end
            assert.are.same({ -1, 0, 1, -1, 2, -1, -1, 3, 1002, -1 }, got)
        end)
    end)

    describe("serve", function()
        it("answers 200 with the seat map and its ETag, revalidated by the browser", function()
            ngx.var.grab_sid = "7"
            seatmap.serve(maps())
            assert.are.equal(200, ngx.status)
            assert.are.equal("application/json", rec.header["Content-Type"])
            assert.are.equal("no-cache", rec.header["Cache-Control"])
            assert.matches('^W/"', rec.header["ETag"])
            assert.are.equal(7, cjson.decode(rec.body).session_id)
        end)

        it("answers 304 without a body to a matching If-None-Match", function()
            local m = maps()
            local _, etag = m:get("7")
            ngx.var.grab_sid, ngx.var.http_if_none_match = "7", etag
            seatmap.serve(m)
            assert.are.equal(304, ngx.status)
            assert.are.equal(304, rec.exit)
            assert.is_nil(rec.body)
            assert.are.equal(etag, rec.header["ETag"])
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
