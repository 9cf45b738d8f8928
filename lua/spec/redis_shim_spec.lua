describe("boxoffice.redis shim", function()
    local function fresh()
        package.loaded["boxoffice.redis"] = nil
        package.loaded["resty.redis"] = nil
        package.loaded["nginx.redis"] = nil
        package.preload["resty.redis"] = nil
        package.preload["nginx.redis"] = nil
    end

    before_each(fresh)
    after_each(fresh)

    it("prefers resty.redis when OpenResty provides it", function()
        local resty, debian = {}, {}
        package.preload["resty.redis"] = function() return resty end
        package.preload["nginx.redis"] = function() return debian end
        assert.are.equal(resty, require "boxoffice.redis")
    end)

    it("falls back to Debian's nginx.redis", function()
        local debian = {}
        local saved = package.path
        package.path = "./?.lua"  -- hide any installed resty.redis
        package.preload["nginx.redis"] = function() return debian end
        local ok, got = pcall(require, "boxoffice.redis")
        package.path = saved
        assert.is_true(ok, got)
        assert.are.equal(debian, got)
    end)
end)
