-- Loads the Redis client under either name: OpenResty ships it as
-- resty.redis, Debian's lua-nginx-redis as nginx.redis.
local ok, redis = pcall(require, "resty.redis")
if not ok then
    redis = require "nginx.redis"
end
return redis
