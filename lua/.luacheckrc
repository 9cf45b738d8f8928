std = "ngx_lua"
codes = true
max_line_length = 120
files["spec/"] = { std = "+busted" }
-- Redis scripts run in Redis's Lua 5.1 with its own globals, after
-- redis/prelude.lua (lua.go): its top-level locals are theirs too.
local redis_globals = { "redis", "KEYS", "ARGV", "cjson", "cmsgpack", "bit" }
local prelude = assert(io.open("redis/prelude.lua"), "run luacheck in lua/"):read("*a")
for name in prelude:gmatch("\nlocal function ([%w_]+)") do redis_globals[#redis_globals + 1] = name end
for name in prelude:gmatch("\nlocal ([%w_]+) =") do redis_globals[#redis_globals + 1] = name end
files["redis/"] = { std = "lua51", read_globals = redis_globals }
files["redis/prelude.lua"] = { ignore = { "211" } } -- its locals are for the scripts
