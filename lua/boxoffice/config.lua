-- Edge settings: the non-secret ones come from the rendered nginx.conf,
-- the secrets from the environment (nginx passes them with `env`).
local os_getenv = os.getenv
local gmatch = string.gmatch
local type, next = type, next

local _M = { _VERSION = "0.1" }

-- jwt_keys returns kid → secret: the active key and the retired ones.
local function jwt_keys(getenv)
    local keys = {}
    for kid, secret in gmatch(getenv("BOXOFFICE_JWT_PREVIOUS_KEYS") or "", "([^,:]+):([^,]+)") do
        keys[kid] = secret
    end
    local active = getenv("BOXOFFICE_JWT_SECRET")
    if active and active ~= "" then
        keys[getenv("BOXOFFICE_JWT_KID") or "k1"] = active
    end
    return keys
end

-- load merges settings with the secrets; getenv defaults to os.getenv.
-- It returns nil and a message naming the setting when one is missing.
function _M.load(settings, getenv)
    getenv = getenv or os_getenv
    local c = {}
    for k, v in pairs(settings) do c[k] = v end
    c.jwt_keys = jwt_keys(getenv)
    if next(c.jwt_keys) == nil then
        return nil, "BOXOFFICE_JWT_SECRET is not set"
    end
    local cluster = type(c.redis_cluster) == "table" and c.redis_cluster[1]
    if not cluster and (type(c.redis_host) ~= "string" or type(c.redis_port) ~= "number") then
        return nil, "the sale Redis address is missing"
    end
    local pw = getenv("BOXOFFICE_SALE_REDIS_PASSWORD")
    c.redis_password = pw ~= "" and pw or nil
    return c
end

return _M
