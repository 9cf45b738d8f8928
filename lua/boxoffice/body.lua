-- The grab request body, read strictly: exactly {"seat_ids":[id,...]} with
-- 1 to max distinct positive integer ids (no floats, signs or exponents).
local find, sub = string.find, string.sub
local sort, concat = table.sort, table.concat
local tonumber = tonumber

local _M = { _VERSION = "0.1" }

_M.MAX_BYTES = 4096
local MAX_ID = 9007199254740991 -- 2^53 - 1: ids must survive JSON numbers

-- expect matches pattern (anchored) at pos, after optional white space.
local function expect(s, pos, pattern)
    local _, e, cap = find(s, "^[ \t\r\n]*" .. pattern, pos)
    if not e then
        return nil
    end
    return e + 1, cap
end

local function ids_of(raw)
    local pos = expect(raw, 1, '{[ \t\r\n]*"seat_ids"[ \t\r\n]*:[ \t\r\n]*%[')
    if not pos then
        return nil, 'body must be {"seat_ids":[...]}'
    end
    local ids = {}
    local close = expect(raw, pos, "%]")
    while not close do
        local id
        pos, id = expect(raw, pos, "(%d+)")
        if not pos or not find(raw, "^[ \t\r\n]*[,%]]", pos) then
            return nil, "seat_ids must be positive integers"
        end
        ids[#ids + 1] = id
        close = expect(raw, pos, "%]")
        if not close then
            pos = expect(raw, pos, ",")
        end
    end
    if not expect(raw, close, "}[ \t\r\n]*$") then
        return nil, 'body must be {"seat_ids":[...]} and nothing else'
    end
    return ids
end

-- parse returns the seat ids as canonical decimal strings and the sorted,
-- comma-joined form of them (the body's identity for idempotency), or nil
-- and a message for a person.
function _M.parse(raw, max)
    if type(raw) ~= "string" or raw == "" then
        return nil, nil, "body is empty"
    end
    if #raw > _M.MAX_BYTES then
        return nil, nil, "body is larger than 4096 bytes"
    end
    local ids, err = ids_of(raw)
    if not ids then
        return nil, nil, err
    end
    if #ids == 0 then
        return nil, nil, "seat_ids is empty"
    end
    if #ids > max then
        return nil, nil, "at most " .. max .. " seats per grab"
    end
    local seen, nums = {}, {}
    for i, id in ipairs(ids) do
        local n = tonumber(id)
        if sub(id, 1, 1) == "0" or #id > 16 or n > MAX_ID then
            return nil, nil, "seat_ids must be positive integers below 2^53"
        end
        if seen[n] then
            return nil, nil, "seat id " .. id .. " appears twice"
        end
        seen[n], nums[i] = true, n
    end
    sort(nums)
    for i, n in ipairs(nums) do
        nums[i] = string.format("%d", n)
    end
    return ids, concat(nums, ",")
end

return _M
