-- boxoffice.cluster: slots, the slot map's wire form, and redirects
-- followed over fake nodes.
local fakes = require "spec.fakes"

describe("boxoffice.cluster", function()
    local cluster, nodes, saved_ngx

    -- A fake resty.redis whose connections answer as the node they
    -- connected to says: nodes[addr].answer(cmd, ...) → res, err.
    local function client()
        local c = {}
        c.__index = function(_, cmd)
            return c[cmd] or function(self, ...)
                local node = nodes[self.addr]
                node.calls[#node.calls + 1] = cmd
                return node.answer(cmd, ...)
            end
        end
        function c.new() return setmetatable({}, c) end
        function c.set_timeout() end
        function c.connect(self, host, port)
            self.addr = host .. ":" .. port
            return true
        end
        function c.get_reused_times() return 1 end
        function c.set_keepalive() return true end
        function c.close() return true end
        return c
    end

    local function node(answer)
        return { calls = {}, answer = answer }
    end

    before_each(function()
        saved_ngx = _G.ngx
        _G.ngx = { sleep = function() end, log = function() end, WARN = 4,
            timer = { at = function() return true end } }
        nodes = {}
        package.loaded["resty.redis"] = client()
        package.loaded["boxoffice.redis"] = nil
        package.loaded["boxoffice.cluster"] = nil
        cluster = require "boxoffice.cluster"
    end)

    after_each(function()
        _G.ngx = saved_ngx
        package.loaded["resty.redis"] = nil
        package.loaded["boxoffice.redis"] = nil
        package.loaded["boxoffice.cluster"] = nil
    end)

    local function new(dict)
        return assert(cluster.new({ seeds = { "10.0.0.1:7000" }, dict = dict or fakes.dict(), timeout = 100 }))
    end

    it("hashes a session's tag as Redis Cluster does", function()
        assert.are.equal(0x31C3, cluster.crc16("123456789"))
        -- CLUSTER KEYSLOT {s:N}:meta on Redis 7.0
        for sid, slot in pairs({ [1] = 3444, [2] = 15639, [3] = 11574, [42] = 1165, [1000000] = 2363 }) do
            assert.are.equal(slot, cluster.slot(sid))
        end
    end)

    it("keeps the masters of CLUSTER SLOTS and reads them back", function()
        local s = cluster.encode({ { 0, 5460, { "10.0.0.1", 7000, "id1" }, { "10.0.0.9", 7009, "r" } },
            { 5461, 16383, { "10.0.0.2", 7001, "id2" } } })
        local map = cluster.decode(s)
        assert.are.equal("10.0.0.1:7000", map[0])
        assert.are.equal("10.0.0.1:7000", map[5460])
        assert.are.equal("10.0.0.2:7001", map[5461])
        assert.are.equal("10.0.0.2:7001", map[16383])
    end)

    it("sends a session to its slot's master once the map is read", function()
        nodes["10.0.0.1:7000"] = node(function(cmd)
            if cmd == "cluster" then
                return { { 0, 8191, { "10.0.0.1", 7000 } }, { 8192, 16383, { "10.0.0.2", 7001 } } }
            end
            return "one"
        end)
        nodes["10.0.0.2:7001"] = node(function() return "two" end)
        local c = new()
        assert.is_true(c:refresh())
        assert.are.equal("one", assert(c:connect(1)):get("k")) -- slot 3444
        assert.are.equal("two", assert(c:connect(2)):get("k")) -- slot 15639
    end)

    it("follows MOVED to the new owner and remembers it", function()
        nodes["10.0.0.1:7000"] = node(function() return false, "MOVED 3444 10.0.0.2:7001" end)
        nodes["10.0.0.2:7001"] = node(function() return "moved here" end)
        local c = new()
        local red = assert(c:connect(1))
        assert.are.equal("moved here", red:evalsha("sha", 0))
        assert.are.equal("10.0.0.2:7001", c:owner(3444))
        c:release(red)
    end)

    it("sends ASKING and the command to the node an ASK names, once", function()
        nodes["10.0.0.1:7000"] = node(function() return false, "ASK 3444 10.0.0.2:7001" end)
        nodes["10.0.0.2:7001"] = node(function(cmd) return cmd == "evalsha" and "imported" or "OK" end)
        local c = new()
        local red = assert(c:connect(1))
        assert.are.equal("imported", red:evalsha("sha", 0))
        assert.are.same({ "asking", "evalsha" }, nodes["10.0.0.2:7001"].calls)
        assert.are.equal("10.0.0.1:7000", c:owner(3444)) -- the slot is still the source's
    end)

    it("gives up after a few TRYAGAINs with Redis's error", function()
        nodes["10.0.0.1:7000"] = node(function()
            return false, "TRYAGAIN Multiple keys request during rehashing of slot"
        end)
        local c = new()
        local res, err = assert(c:connect(1)):evalsha("sha", 0)
        assert.is_false(res)
        assert.matches("^TRYAGAIN", err)
        assert.are.equal(4, #nodes["10.0.0.1:7000"].calls)
    end)

    it("connects to an IPv6 node without its brackets", function()
        nodes["::1:7000"] = node(function() return "six" end)
        local c = assert(cluster.new({ seeds = { "[::1]:7000" }, dict = fakes.dict(), timeout = 100 }))
        assert.are.equal("six", assert(c:connect(1)):get("k"))
    end)

    it("refuses to start without seeds or a dict", function()
        assert.is_nil(cluster.new({ dict = fakes.dict() }))
        assert.is_nil(cluster.new({ seeds = { "10.0.0.1:7000" } }))
    end)
end)
