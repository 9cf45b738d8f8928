-- Fakes of what the edge's modules use from nginx and Redis, for specs.
local _M = {}

-- NULL stands for ngx.null.
_M.NULL = setmetatable({}, { __tostring = function() return "null" end })

-- dict is a lua_shared_dict without expiry: a test removes a key from
-- .data to expire it.
function _M.dict()
    local data = {}
    return {
        data = data,
        get = function(_, k) return data[k] end,
        set = function(_, k, v) data[k] = v; return true end,
        add = function(_, k, v)
            if data[k] ~= nil then return false, "exists" end
            data[k] = v
            return true
        end,
        incr = function(_, k, by, init)
            data[k] = (data[k] or init) + by
            return data[k]
        end,
        delete = function(_, k) data[k] = nil end,
        get_keys = function()
            local ks = {}
            for k in pairs(data) do ks[#ks + 1] = k end
            table.sort(ks)
            return ks
        end,
    }
end

-- client is a resty.redis module whose connections behave as script says:
-- connect_err, auth_err, reused (times the connection was pooled), and
-- value or get_err for GET. It returns the module and calls, what its
-- connections were asked.
function _M.client(script)
    local calls = {}
    local client = {}
    client.__index = client
    function client.new() return setmetatable({}, client) end
    function client.set_timeout(_, ms) calls.timeout = ms end
    function client.connect(_, host, port, opts)
        calls.connect, calls.pool_size, calls.backlog = { host, port }, opts and opts.pool_size, opts and opts.backlog
        if script.connect_err then return nil, script.connect_err end
        return true
    end
    function client.get_reused_times() return script.reused or 0 end
    function client.info(_, section)
        calls.info = section
        return script.info
    end
    function client.auth(_, password)
        calls.auth = password
        if script.auth_err then return nil, script.auth_err end
        return true
    end
    function client.get(_, key)
        calls.get = key
        if script.get_err then return nil, script.get_err end
        return script.value
    end
    function client.set_keepalive(_, idle, pool)
        calls.keepalive, calls.idle, calls.pool = true, idle, pool
        return true
    end
    function client.close() calls.closed = true; return true end
    return client, calls
end

-- sale is a boxoffice.redis connector to a Redis holding store (key →
-- string, or a table of field → value for a hash). opts.down makes connect
-- fail; opts.fail makes every command fail with that error (nil, as a
-- broken connection), opts.refuse makes scripts get that error reply
-- (false, as resty.redis gives a "-ERR" answer); opts.script is what
-- scripts return otherwise. It counts connects (and keeps the session ids
-- they name), releases and closes.
function _M.sale(store, opts)
    opts = opts or {}
    local conn = { connects = 0, released = 0, closed = 0, commands = {}, sids = {}, run_id = "5e1f" }
    local red = {}

    local function reply(name, v)
        conn.commands[#conn.commands + 1] = name
        if opts.fail then return nil, opts.fail end
        if red.pipe then
            red.pipe[#red.pipe + 1] = v
            return "OK"
        end
        return v
    end

    function red.get(_, k)
        local v = store[k]
        return reply("get", type(v) == "string" and v or _M.NULL)
    end
    function red.mget(_, ...)
        local out = {}
        for i, k in ipairs({ ... }) do
            local v = store[k]
            out[i] = type(v) == "string" and v or _M.NULL
        end
        return reply("mget", out)
    end
    function red.hmget(_, k, ...)
        local h, out = store[k] or {}, {}
        for i, f in ipairs({ ... }) do out[i] = h[f] or _M.NULL end
        return reply("hmget", out)
    end
    function red.hgetall(_, k)
        local out = {}
        for f, v in pairs(store[k] or {}) do
            out[#out + 1] = f
            out[#out + 1] = v
        end
        return reply("hgetall", out)
    end
    function red.evalsha(_, _, _, ...)
        conn.argv = { ... }
        if opts.refuse then
            conn.commands[#conn.commands + 1] = "evalsha"
            return false, opts.refuse
        end
        return reply("evalsha", opts.script)
    end
    function red.init_pipeline() red.pipe = {} end
    function red.commit_pipeline()
        local res = red.pipe
        red.pipe = nil
        if opts.fail then return nil, opts.fail end
        return res
    end
    function red.close() conn.closed = conn.closed + 1 end

    function conn.connect(_, sid)
        if opts.down then return nil, "connect: connection refused" end
        conn.connects = conn.connects + 1
        conn.sids[#conn.sids + 1] = sid
        return red
    end
    function conn.release() conn.released = conn.released + 1 end
    function conn.run_of(c) return c.run_id end
    return conn
end

-- hash is a 32-bit FNV-1a of s: ngx.md5 stands in for a digest.
function _M.hash(s)
    local h = 2166136261
    for i = 1, #s do
        h = bit.band(bit.bxor(h, s:byte(i)) * 16777619, 0xffffffff)
    end
    return h % 4294967296
end

-- base64 is ngx.encode_base64 (with padding).
function _M.base64(s)
    local abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    local out = {}
    for i = 1, #s, 3 do
        local a, b, c = s:byte(i, i + 2)
        local n = a * 65536 + (b or 0) * 256 + (c or 0)
        for j = 0, 3 do
            local at = math.floor(n / 64 ^ (3 - j)) % 64
            out[#out + 1] = (j < 2 or (j == 2 and b) or (j == 3 and c)) and abc:sub(at + 1, at + 1) or "="
        end
    end
    return table.concat(out)
end

-- ngx installs a fake ngx with the dicts named in dicts and returns what
-- it records: log lines and the response (headers, body, exit); the
-- status is ngx.status. rec.method is the request's method (GET).
-- ngx.timer.every records its interval (rec.every) and function (rec.timer).
function _M.ngx(dicts)
    _G.ngx = _G.ngx or {}
    local ngx = _G.ngx
    local rec = { logged = {}, header = {} }
    ngx.null = _M.NULL
    ngx.WARN, ngx.ERR = 5, 4
    ngx.shared = dicts
    ngx.var = {}
    ngx.ctx = {}
    ngx.header = rec.header
    ngx.now = function() return 1800000000.25 end
    ngx.update_time = function() end
    ngx.sha1_bin = function(s) return "sha1:" .. s end
    ngx.log = function(_, ...) rec.logged[#rec.logged + 1] = table.concat({ ... }) end
    ngx.print = function(s) rec.body = (rec.body or "") .. s end
    ngx.exit = function(status) rec.exit = status end
    ngx.req = { get_method = function() return rec.method or "GET" end }
    ngx.timer = { -- luacheck: ignore 122
        every = function(every, fn) rec.every, rec.timer = every, fn; return true end,
        at = function(_, fn, ...) rec.timers = (rec.timers or 0) + 1; fn(false, ...); return true end,
    }
    ngx.sleep = function(s) rec.slept = (rec.slept or 0) + s end
    ngx.md5 = function(s) return string.format("%08x%d", _M.hash(s), #s) end
    ngx.encode_base64 = _M.base64
    return rec
end

return _M
