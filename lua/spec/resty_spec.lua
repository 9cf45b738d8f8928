describe("boxoffice.resty", function()
    local function fresh()
        for _, name in ipairs({ "boxoffice.resty", "resty.redis", "nginx.redis" }) do
            package.loaded[name] = nil
            package.preload[name] = nil
        end
    end

    before_each(fresh)
    after_each(fresh)

    it("prefers resty.redis when OpenResty provides it", function()
        local resty, debian = {}, {}
        package.preload["resty.redis"] = function() return resty end
        package.preload["nginx.redis"] = function() return debian end
        assert.are.equal(resty, require("boxoffice.resty").require("redis"))
    end)

    it("falls back to Debian's nginx.redis", function()
        local debian = {}
        local saved = package.path
        package.path = "./?.lua"  -- hide any installed resty.redis
        package.preload["nginx.redis"] = function() return debian end
        local ok, got = pcall(function() return require("boxoffice.resty").require("redis") end)
        package.path = saved
        assert.is_true(ok, got)
        assert.are.equal(debian, got)
    end)
end)
