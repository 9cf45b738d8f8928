-- catalog_edge with a fake Redis client and a fake shared dict.
_G.ngx = _G.ngx or {}
local ngx = _G.ngx

local fakes = require "spec.fakes"
local NULL = fakes.NULL

describe("boxoffice.catalog_edge", function()
    local edge, dict, calls, logged

    local function load(script, opts)
        package.loaded["boxoffice.catalog_edge"] = nil
        package.loaded["boxoffice.redis"] = nil
        local client
        client, calls = fakes.client(script)
        package.loaded["resty.redis"] = client
        edge = require "boxoffice.catalog_edge"
        edge.configure(opts or { host = "127.0.0.1", port = 16391 })
    end

    before_each(function()
        dict, logged = fakes.dict(), {}
        ngx.null = NULL
        ngx.WARN = 5
        ngx.shared = { catalog_edge = dict }
        ngx.var = {}
        ngx.log = function(_, ...) logged[#logged + 1] = table.concat({ ... }) end
    end)

    after_each(function()
        package.loaded["boxoffice.catalog_edge"] = nil
        package.loaded["boxoffice.redis"] = nil
        package.loaded["resty.redis"] = nil
    end)

    describe("parse", function()
        before_each(function() load({}) end)

        it("reads a decimal counter", function()
            assert.are.equal("1700000000042", edge.parse("1700000000042"))
        end)

        it("takes a missing key as version 0", function()
            assert.are.equal("0", edge.parse(NULL))
            assert.are.equal("0", edge.parse(nil))
        end)

        it("refuses what is not a counter", function()
            for _, bad in ipairs({ "", "12a", "-1", "1 2", "1e5", string.rep("9", 21), "../x" }) do
                local v, err = edge.parse(bad)
                assert.is_nil(v, bad)
                assert.matches("bad catalog version", err)
            end
        end)
    end)

    describe("current", function()
        it("reads the version from Redis and remembers it", function()
            load({ value = "17" })
            assert.are.equal("17", edge.current())
            assert.are.equal("17", dict.data.version)
            assert.are.equal("catalog:edge:version", calls.get)
            assert.are.equal(50, calls.timeout)
            assert.is_true(calls.keepalive)
        end)

        it("falls back to the last version when Redis is down, logging once", function()
            dict.data.version = "16"
            load({ connect_err = "connection refused" })
            assert.are.equal("16", edge.current())
            assert.are.equal("16", edge.current())
            assert.are.equal(1, #logged)
            assert.matches("connection refused", logged[1])
        end)

        it("falls back to 0 when it never saw a version", function()
            load({ get_err = "timeout" })
            assert.are.equal("0", edge.current())
            assert.is_true(calls.closed)
        end)

        it("falls back on a value that is not a counter", function()
            dict.data.version = "5"
            load({ value = "garbage" })
            assert.are.equal("5", edge.current())
        end)

        it("authenticates new connections only", function()
            load({ value = "1", reused = 0 }, { host = "10.0.0.1", port = "6391", password = "s3cret" })
            edge.current()
            assert.are.equal("s3cret", calls.auth)
            assert.are.same({ "10.0.0.1", 6391 }, calls.connect)
            load({ value = "1", reused = 3 }, { host = "10.0.0.1", port = 6391, password = "s3cret" })
            edge.current()
            assert.is_nil(calls.auth)
        end)

        it("does not authenticate without a password", function()
            load({ value = "1" }, { host = "127.0.0.1", port = 6391, password = "" })
            edge.current()
            assert.is_nil(calls.auth)
        end)

        it("sets $catalog_version", function()
            load({ value = "9" })
            edge.set_var()
            assert.are.equal("9", ngx.var.catalog_version)
        end)
    end)

    describe("configure", function()
        it("refuses a missing host or a bad port", function()
            load({})
            assert.has_error(function() edge.configure({ port = 1 }) end)
            assert.has_error(function() edge.configure({ host = "h", port = 70000 }) end)
        end)
    end)
end)
