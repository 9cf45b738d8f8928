-- Connections to the sale Redis when it is a Redis Cluster, with the
-- connect(sid) / release(red) of a boxoffice.redis connector: a session's
-- commands go to the master that owns its slot, the CRC16 of its keys' hash
-- tag "s:<sid>" modulo 16384. The slot map is kept in a shared dict, read
-- from CLUSTER SLOTS at start, every few seconds and at once after a MOVED;
-- each worker parses it again only when its version changes. A command
-- answered MOVED is sent again to the new owner; one answered ASK (its slot
-- being migrated) is sent to the node named after ASKING; TRYAGAIN (a
-- migration halfway through the command's keys) is tried again shortly.
-- Past that the caller gets Redis's error, and the grab answers 503.
local redis = require "boxoffice.redis"
local bit = require "bit"

local ngx = ngx
local band, bxor, lshift, rshift = bit.band, bit.bxor, bit.lshift, bit.rshift
local byte, match, gmatch, concat = string.byte, string.match, string.gmatch, table.concat
local type, tonumber, tostring, ipairs, pairs, select = type, tonumber, tostring, ipairs, pairs, select
local setmetatable, unpack = setmetatable, unpack

local _M = { _VERSION = "0.1" }
local mt = { __index = _M }

local SLOTS = 16384
local REDIRECTS = 3 -- MOVED, ASK or TRYAGAIN followed per command
local TRYAGAIN_WAIT = 0.02 -- seconds before a command answered TRYAGAIN is sent again

-- CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with.
local CRC = {}
for i = 0, 255 do
    local c = lshift(i, 8)
    for _ = 1, 8 do
        c = band(0x8000, c) ~= 0 and bxor(lshift(c, 1), 0x1021) or lshift(c, 1)
        c = band(c, 0xffff)
    end
    CRC[i] = c
end

function _M.crc16(s)
    local crc = 0
    for i = 1, #s do
        crc = band(bxor(lshift(crc, 8), CRC[bxor(band(rshift(crc, 8), 0xff), byte(s, i))]), 0xffff)
    end
    return crc
end

-- slot is the cluster slot of session sid's keys.
function _M.slot(sid)
    return _M.crc16("s:" .. sid) % SLOTS
end

-- encode writes a CLUSTER SLOTS reply as lines "first last ip:port" of
-- the masters; decode reads them into slot → "ip:port".
function _M.encode(reply)
    local lines = {}
    for _, r in ipairs(reply) do
        local master = r[3]
        if type(master) == "table" and master[1] and master[1] ~= "" then
            lines[#lines + 1] = r[1] .. " " .. r[2] .. " " .. master[1] .. ":" .. master[2]
        end
    end
    return concat(lines, "\n")
end

function _M.decode(s)
    local map = {}
    for first, last, addr in gmatch(s, "(%d+) (%d+) (%S+)") do
        for slot = tonumber(first), tonumber(last) do
            map[slot] = addr
        end
    end
    return map
end

-- new returns a connector, or nil and what is wrong: opts are those of
-- boxoffice.redis.new but host and port, plus seeds (a list of "ip:port",
-- asked for the slot map) and dict (the shared dict keeping it).
function _M.new(opts)
    if type(opts) ~= "table" or type(opts.seeds) ~= "table" or not opts.seeds[1] then
        return nil, "seeds are required"
    end
    if not opts.dict then
        return nil, "dict is required"
    end
    local self = setmetatable({ opts = opts, dict = opts.dict, nodes = {}, map = {}, version = nil }, mt)
    for _, addr in ipairs(opts.seeds) do
        local node, err = self:node(addr)
        if not node then
            return nil, "seed " .. tostring(addr) .. ": " .. err
        end
    end
    return self
end

-- node returns the connector of the server at addr ("ip:port").
function _M:node(addr)
    local node = self.nodes[addr]
    if node then
        return node
    end
    local host, port = match(addr, "^%[?(.-)%]?:(%d+)$") -- an IPv6 address comes in brackets
    local o = self.opts
    local err
    node, err = redis.new({ host = host or "", port = port, password = o.password, timeout = o.timeout,
        pool_size = o.pool_size, backlog = o.backlog, track_run = o.track_run })
    if node then
        self.nodes[addr] = node
    end
    return node, err
end

-- owner is the address of the master that owns slot, as far as this
-- worker knows (the first seed before any map was read).
function _M:owner(slot)
    local version = self.dict:get("version")
    if version ~= self.version then
        self.map, self.version = _M.decode(self.dict:get("map") or ""), version
    end
    return self.map[slot] or self.opts.seeds[1]
end

-- refresh reads the slot map from the first node that answers CLUSTER
-- SLOTS; it returns true, or nil and the last error.
function _M:refresh()
    local err = "no node to ask"
    local tried = {}
    for _, addr in ipairs(self.opts.seeds) do
        tried[addr] = true
    end
    for _, addr in pairs(self.map) do
        tried[addr] = true
    end
    for addr in pairs(tried) do
        local node = self:node(addr)
        local red, cerr = node:connect()
        if red then
            local reply
            reply, err = red:cluster("slots")
            if type(reply) == "table" and #reply > 0 then
                node:release(red)
                self.dict:set("map", _M.encode(reply))
                self.dict:incr("version", 1, 0)
                return true
            end
            red:close()
            err = addr .. ": " .. tostring(err or "no slots")
        else
            err = addr .. ": " .. tostring(cerr)
        end
    end
    return nil, err
end

-- moved records that slot is at addr now, for this worker at once, and
-- has the whole map read again (at most once a second, by any worker).
function _M:moved(slot, addr)
    self.map[slot] = addr
    if self.dict:add("refreshing", true, 1) then
        ngx.timer.at(0, function(premature)
            if not premature then
                local ok, err = self:refresh()
                if not ok then
                    ngx.log(ngx.WARN, "sale Redis cluster slots: ", err)
                end
            end
        end)
    end
end

-- start reads the slot map now and every `every` seconds; call it from
-- init_worker on one worker.
function _M:start(every)
    local function run(premature)
        if premature then
            return
        end
        local ok, err = self:refresh()
        if not ok then
            ngx.log(ngx.WARN, "sale Redis cluster slots: ", err)
        end
    end
    ngx.timer.at(0, run)
    local ok, err = ngx.timer.every(every, run)
    if not ok then
        ngx.log(ngx.ERR, "cannot start the cluster slot refresh: ", err)
    end
end

-- A connection to the node of one session: every command of resty.redis,
-- following redirects; close() and the connector's release() as usual.
local conn = {}
local conn_mt = { __index = function(_, name)
    return conn[name] or function(c, ...)
        return c:call(name, ...)
    end
end }

-- connect returns a connection to the master of session sid's slot, or
-- nil and the error.
function _M:connect(sid)
    local addr = self:owner(_M.slot(sid))
    local node = self:node(addr)
    local red, err = node:connect()
    if not red then
        return nil, err
    end
    return setmetatable({ red = red, node = node, cluster = self }, conn_mt)
end

-- run_of returns the run id of the server c is connected to (with
-- track_run): after a redirect, the script it was read for finds another
-- and answers 503 recovering.
function _M.run_of(_, c)
    return c.node.run_id
end

-- release gives c's connection back to its node's pool.
function _M.release(_, c)
    if c.red then
        c.node:release(c.red)
        c.red = nil
    end
end

-- redirect reads MOVED, ASK or TRYAGAIN from an error reply.
local function redirect(err)
    if type(err) ~= "string" then
        return nil
    end
    local kind, slot, addr = match(err, "^(%u+) (%d+) (%S+)")
    if kind == "MOVED" or kind == "ASK" then
        return kind, tonumber(slot), addr
    end
    if match(err, "^TRYAGAIN") then
        return "TRYAGAIN"
    end
end

-- connect_to returns a connector of the node at addr and a connection to it.
local function connect_to(cluster, addr)
    local node, err = cluster:node(addr)
    if not node then
        return nil, nil, err
    end
    local red
    red, err = node:connect()
    return node, red, err
end

-- ask sends ASKING and cmd to the node at addr, on a connection of its own.
local function ask(cluster, addr, cmd, ...)
    local node, red, err = connect_to(cluster, addr)
    if not red then
        return nil, "ask " .. addr .. ": " .. tostring(err)
    end
    local ok
    ok, err = red:asking()
    if not ok then
        red:close()
        return nil, "asking " .. addr .. ": " .. tostring(err)
    end
    local res
    res, err = red[cmd](red, ...)
    if res == nil then
        red:close()
    else
        node:release(red)
    end
    return res, err
end

local function switch(c, addr)
    c.node:release(c.red)
    c.red = nil
    local node, red, err = connect_to(c.cluster, addr)
    if not red then
        return nil, "moved to " .. addr .. ": " .. tostring(err)
    end
    c.node, c.red = node, red
    return true
end

function conn.call(c, cmd, ...)
    if not c.red then
        return nil, "connection closed"
    end
    local n, args = select("#", ...), { ... }
    local red = c.red
    local res, err = red[cmd](red, unpack(args, 1, n))
    for _ = 1, REDIRECTS do
        local kind, slot, addr = redirect(err)
        if res or not kind then
            break
        end
        if kind == "MOVED" then
            c.cluster:moved(slot, addr)
            local ok, serr = switch(c, addr)
            if not ok then
                return nil, serr
            end
        elseif kind == "ASK" then
            return ask(c.cluster, addr, cmd, unpack(args, 1, n))
        else
            ngx.sleep(TRYAGAIN_WAIT)
        end
        red = c.red
        res, err = red[cmd](red, unpack(args, 1, n))
    end
    return res, err
end

function conn.close(c)
    if c.red then
        c.red:close()
        c.red = nil
    end
    return true
end

return _M
