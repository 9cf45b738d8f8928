-- Loads an OpenResty library under either name: OpenResty ships them as
-- resty.<name>, Debian's lua-nginx-* packages as nginx.<name>.
local _M = { _VERSION = "0.1" }

-- require returns resty.<name>, else nginx.<name>.
function _M.require(name)
    local ok, lib = pcall(require, "resty." .. name)
    if ok then
        return lib
    end
    return require("nginx." .. name)
end

return _M
