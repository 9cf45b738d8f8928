std = "ngx_lua"
codes = true
max_line_length = 120
files["spec/"] = { std = "+busted" }
