std = "ngx_lua"
codes = true
max_line_length = 120
files["spec/"] = { std = "+busted" }
-- Redis scripts run in Redis's Lua 5.1 with its own globals.
files["redis/"] = { std = "lua51", read_globals = { "redis", "KEYS", "ARGV", "cjson", "cmsgpack", "bit" } }
