-- grabcounts with a fake shared dict, clock, timer and sale connector.
_G.ngx = _G.ngx or {}
local ngx = _G.ngx
local fakes = require "spec.fakes"

-- fake_conn records one pipeline; fail makes its commit fail.
local function fake_conn(sent, fail)
    local red = {}
    function red.init_pipeline() sent.pipelines = (sent.pipelines or 0) + 1 end
    function red.hincrby(_, key, field, n) sent[#sent + 1] = { "HINCRBY", key, field, n } end
    function red.expire(_, key, secs) sent[#sent + 1] = { "EXPIRE", key, secs } end
    function red.commit_pipeline()
        if fail then return nil, "timeout" end
        return {}
    end
    function red.close() sent.closed = true end
    return red
end

describe("boxoffice.grabcounts", function()
    local counts, dict, sent, flush, now, fail

    before_each(function()
        dict, sent, now, fail = fakes.dict(), {}, 1000, false
        ngx.shared = { boxoffice_grab_counts = dict }
        ngx.var = {}
        ngx.time = function() return now end
        ngx.log, ngx.WARN, ngx.ERR = function() end, 4, 3
        ngx.worker = { id = function() return 0 end }
        ngx.timer = { every = function(_, fn) flush = fn; return true end }
        local sale = {
            connect = function(_, sid)
                sent.sids = sent.sids or {}
                sent.sids[#sent.sids + 1] = sid
                return fake_conn(sent, fail)
            end,
            release = function() sent.released = true end,
        }
        counts = require("boxoffice.grabcounts").new("boxoffice_grab_counts", sale)
        counts:start()
    end)

    local function grab(sid, outcome)
        counts:log(sid, outcome)
    end

    it("counts grabs per session, second and outcome", function()
        grab("7", "created")
        grab("7", "created")
        grab("7", "sold_out")
        grab("8", "created")
        grab("", "created")
        grab("7", "")
        assert.same({ ["7 1000 created"] = 2, ["7 1000 sold_out"] = 1, ["8 1000 created"] = 1 }, dict.data)
    end)

    it("adds the seconds that are over to Redis in one pipeline", function()
        grab("7", "created")
        grab("7", "created")
        now = 1001
        grab("7", "created")
        flush(false)
        assert.equal(1, sent.pipelines)
        assert.same({ { "HINCRBY", "{s:7}:grabs:1000", "created", 2 }, { "EXPIRE", "{s:7}:grabs:1000", 300 } },
            { sent[1], sent[2] })
        assert.equal(2, #sent)
        assert.is_true(sent.released)
        assert.equal(0, dict.data["7 1000 created"])
        assert.equal(1, dict.data["7 1001 created"])
    end)

    it("sends each session's counts on a connection to that session's node", function()
        grab("7", "created")
        grab("8", "sold_out")
        now = 1001
        flush(false)
        assert.equal(2, sent.pipelines)
        table.sort(sent.sids)
        assert.same({ "7", "8" }, sent.sids)
        assert.equal(0, dict.data["7 1000 created"])
        assert.equal(0, dict.data["8 1000 sold_out"])
    end)

    it("sends nothing when no second is over", function()
        grab("7", "created")
        flush(false)
        assert.is_nil(sent.pipelines)
    end)

    it("keeps the counts of a failed flush for the next one", function()
        grab("7", "rate_limited")
        now, fail = 1001, true
        flush(false)
        assert.is_true(sent.closed)
        assert.equal(1, dict.data["7 1000 rate_limited"])
        fail = false
        flush(false)
        assert.same({ "HINCRBY", "{s:7}:grabs:1000", "rate_limited", 1 }, sent[#sent - 1])
        assert.equal(0, dict.data["7 1000 rate_limited"])
    end)
end)
