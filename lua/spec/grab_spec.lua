-- boxoffice.grab's content phase over a fake sale Redis.
local fakes = require "spec.fakes"
local cjson = require "cjson.safe"

describe("boxoffice.grab", function()
    local grab, rec

    before_each(function()
        rec = fakes.ngx({ boxoffice_grab_keys = fakes.dict(), boxoffice_metrics = fakes.dict(),
            boxoffice_state = fakes.dict() })
        package.loaded["resty.string"] = { to_hex = function(s) return s end }
        package.loaded["boxoffice.grab"] = nil
        grab = require "boxoffice.grab"
        ngx.ctx.grab = { sid = "7", uid = "42", key = "k-1", ids = { 3 }, canon = "3" }
    end)

    after_each(function()
        package.loaded["resty.string"] = nil
        package.loaded["boxoffice.grab"] = nil
    end)

    local learned
    local function content(sale)
        local state = require("boxoffice.salestate").new("boxoffice_state", sale)
        -- No copy of the seat map yet: every grab goes to the script.
        learned = nil
        local seats = { codes = function() return nil end, learn = function(_, sid, ids) learned = { sid, ids } end }
        grab.init(sale, state, { k1 = string.rep("s", 32) }, "return 1", nil, seats)
        grab.content()
        return cjson.decode(rec.body)
    end

    it("tells the seat map the seats a 201 holds and those a 409 names", function()
        content(fakes.sale({}, { script = { 201, "created",
            '{"order_no":"B7-1-1","session_id":7,"seat_ids":[3],"amount_cents":100,"expires_at":1800000060000}' } }))
        assert.are.same({ "7", { 3 } }, learned)
        ngx.ctx.grab.ids = { 3, 4 }
        content(fakes.sale({}, { script = { 409, "seat_unavailable", '{"seat_ids":[4]}' } }))
        assert.are.equal(409, rec.exit)
        assert.are.same({ "7", { 4 } }, learned)
        content(fakes.sale({}, { fail = "timeout" }))
        assert.is_nil(learned)
    end)

    it("answers 201 with the hold the script made", function()
        local sale = fakes.sale({}, { script = { 201, "created",
            '{"order_no":"B7-1-1","session_id":7,"seat_ids":[3],"amount_cents":100,"expires_at":1800000060000}' } })
        local body = content(sale)
        assert.are.equal(201, rec.exit)
        assert.are.equal("B7-1-1", body.order_no)
        assert.are.equal(1, sale.released)
        -- The script gets the run id of the server of its connection
        -- (its fence after a restart), then the seats.
        assert.are.same({ "5e1f", 3 }, { sale.argv[#sale.argv - 1], tonumber(sale.argv[#sale.argv]) })
    end)

    it("answers 503 unavailable with Retry-After when the sale Redis is full, and keeps the connection", function()
        local sale = fakes.sale({}, { refuse = "OOM command not allowed when used memory > 'maxmemory'. "
            .. "script: 0123abcd, on @user_script:1." })
        local body = content(sale)
        assert.are.equal(503, rec.exit)
        assert.are.equal("application/json", rec.header["Content-Type"])
        assert.are.equal("1", rec.header["Retry-After"])
        assert.are.equal("unavailable", body.error)
        assert.is_nil(body.message:find("OOM", 1, true))
        -- Redis answered: the connection is sound and goes back to the pool.
        assert.are.equal(1, sale.released)
        assert.are.equal(0, sale.closed)
    end)

    it("answers 503 unavailable and drops the connection when the sale Redis does not answer", function()
        local sale = fakes.sale({}, { fail = "timeout" })
        local body = content(sale)
        assert.are.equal(503, rec.exit)
        assert.are.equal("unavailable", body.error)
        assert.are.equal(0, sale.released)
    end)
end)
