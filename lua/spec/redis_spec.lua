-- boxoffice.redis over a fake resty.redis client.
local fakes = require "spec.fakes"

describe("boxoffice.redis", function()
    local redis, calls, script

    before_each(function()
        script = {}
        local client
        client, calls = fakes.client(script)
        package.loaded["resty.redis"] = client
        package.loaded["boxoffice.redis"] = nil
        redis = require "boxoffice.redis"
    end)

    after_each(function()
        package.loaded["resty.redis"] = nil
        package.loaded["boxoffice.redis"] = nil
    end)

    local function conn(over)
        local opts = { host = "10.0.0.2", port = "6390", timeout = 200, pool_size = 64 }
        for k, v in pairs(over or {}) do opts[k] = v end
        return redis.new(opts)
    end

    it("refuses a missing host or a bad port", function()
        for _, over in ipairs({ { host = "" }, { port = "0" }, { port = 70000 }, { port = "x" } }) do
            local c, err = conn(over)
            assert.is_nil(c)
            assert.is_string(err)
        end
    end)

    it("connects with its timeout and pool, and gives the connection back", function()
        local c = assert(conn())
        local red = assert(c:connect())
        assert.are.equal(200, calls.timeout)
        assert.are.same({ "10.0.0.2", 6390 }, calls.connect)
        assert.are.equal(64, calls.pool_size)
        assert.is_nil(calls.auth)
        c:release(red)
        assert.are.same({ 60000, 64 }, { calls.idle, calls.pool })
    end)

    it("queues connects past its pool when it has a backlog", function()
        assert(conn({ backlog = 512 }):connect())
        assert.are.same({ 64, 512 }, { calls.pool_size, calls.backlog })
        assert(conn({ backlog = 0 }):connect())
        assert.is_nil(calls.backlog)
        assert(conn():connect())
        assert.is_nil(calls.backlog)
    end)

    it("authenticates a new connection, not a pooled one", function()
        assert(conn({ password = "s3cret" }):connect())
        assert.are.equal("s3cret", calls.auth)
        calls.auth, script.reused = nil, 2
        assert(conn({ password = "s3cret" }):connect())
        assert.is_nil(calls.auth)
    end)

    it("reads the server's run id on a new connection when it tracks it", function()
        script.info = "# Server\r\nredis_version:7.0.15\r\nrun_id:035c45ee2ca3\r\ntcp_port:6390\r\n"
        local c = assert(conn({ track_run = true }))
        assert(c:connect())
        assert.are.same({ "server", "035c45ee2ca3" }, { calls.info, c.run_id })
        calls.info, script.reused = nil, 1
        assert(c:connect())
        assert.is_nil(calls.info)
        assert(conn():connect())
        assert.is_nil(calls.info)
    end)

    it("drops a new connection whose run id it cannot read", function()
        script.info = "# Server\r\n"
        assert.are.same({ nil, "info: no run_id" }, { conn({ track_run = true }):connect() })
        assert.is_true(calls.closed)
    end)

    it("takes an empty password for none", function()
        assert(conn({ password = "" }):connect())
        assert.is_nil(calls.auth)
    end)

    it("says which step failed", function()
        script.connect_err = "connection refused"
        assert.are.same({ nil, "connect: connection refused" }, { conn():connect() })
        script.connect_err, script.auth_err = nil, "WRONGPASS"
        assert.are.same({ nil, "auth: WRONGPASS" }, { conn({ password = "x" }):connect() })
        assert.is_true(calls.closed)
    end)
end)
