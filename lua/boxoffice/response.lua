-- Every response of the edge's Lua: JSON by default, never stored by a
-- cache, errors in the shape every boxoffice endpoint uses:
-- {"error":"<code>","message":"<for a person>", ...extra fields}.
local cjson = require "cjson.safe"

local ngx = ngx
local pairs = pairs
local tostring = tostring

local _M = { _VERSION = "0.1" }

-- error_body returns the JSON text of an error; fields may add keys but
-- never replace error or message.
function _M.error_body(code, message, fields)
    local body = {}
    if fields then
        for k, v in pairs(fields) do
            body[k] = v
        end
    end
    body.error = code
    body.message = message
    return cjson.encode(body)
end

-- send sends status and body (text; content_type is application/json and
-- cache_control no-store unless given), then ends the request.
function _M.send(status, body, content_type, cache_control)
    ngx.status = status
    ngx.header["Content-Type"] = content_type or "application/json"
    ngx.header["Cache-Control"] = cache_control or "no-store"
    ngx.print(body)
    return ngx.exit(status)
end

-- json sends status and a JSON-encoded value, then ends the request.
function _M.json(status, value)
    return _M.send(status, cjson.encode(value) .. "\n")
end

-- error sends an error in the shared shape. opts.retry_after sets the
-- Retry-After header; opts.fields adds keys to the body.
function _M.error(status, code, message, opts)
    opts = opts or {}
    if opts.retry_after then
        ngx.header["Retry-After"] = tostring(opts.retry_after)
    end
    return _M.send(status, _M.error_body(code, message, opts.fields) .. "\n")
end

return _M
