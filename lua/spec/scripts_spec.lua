local scripts = require "boxoffice.scripts"

local function read(path)
    local f = assert(io.open(path, "rb"))
    local src = f:read("*a")
    f:close()
    return src
end

describe("scripts.source", function()
    local prelude = read("redis/prelude.lua")

    it("sends the prelude, then the script", function()
        assert.equal(prelude .. read("redis/hold.lua"), scripts.source(".", "hold"))
    end)

    it("keeps a script's #!lua line first", function()
        local line, rest = read("redis/lease.lua"):match("^(#!lua[^\n]*\n)(.*)$")
        assert.truthy(line)
        assert.equal(line .. prelude .. rest, scripts.source(".", "lease"))
    end)

    it("names a script that is not there", function()
        assert.has_error(function() scripts.source(".", "nope") end, "cannot read ./redis/nope.lua")
    end)
end)
