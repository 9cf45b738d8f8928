-- The text the edge sends to Redis for a script of lua/redis: prelude.lua
-- (what the scripts share), then the script; a script's "#!lua" line stays
-- first. lua/lua.go builds the same text for Go.
local io_open = io.open

local _M = { _VERSION = "0.1" }

local function read(path)
    local f = io_open(path, "rb")
    if not f then
        error("cannot read " .. path, 3)
    end
    local src = f:read("*a")
    f:close()
    return src
end

-- source returns the text of script name (lua/redis/<name>.lua) under the
-- Lua folder dir.
function _M.source(dir, name)
    local prelude = read(dir .. "/redis/prelude.lua")
    local src = read(dir .. "/redis/" .. name .. ".lua")
    local line, rest = src:match("^(#![^\n]*\n)(.*)$")
    if line then
        return line .. prelude .. rest
    end
    return prelude .. src
end

return _M
