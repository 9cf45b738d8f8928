local body = require "boxoffice.body"

describe("boxoffice.body.parse", function()
    it("reads ids and their canonical form", function()
        local ids, canon = body.parse('{"seat_ids":[12, 3 ,7]}', 4)
        assert.are.same({ "12", "3", "7" }, ids)
        assert.are.equal("3,7,12", canon)
    end)

    it("allows white space around the tokens", function()
        local ids = body.parse(' {\n "seat_ids" : [ 1 ] }\n', 4)
        assert.are.same({ "1" }, ids)
    end)

    it("accepts ids up to 2^53 - 1", function()
        local ids = body.parse('{"seat_ids":[9007199254740991]}', 4)
        assert.are.same({ "9007199254740991" }, ids)
    end)

    local bad = {
        ["empty body"] = "",
        ["not JSON"] = "seat_ids=1",
        ["empty list"] = '{"seat_ids":[]}',
        ["float"] = '{"seat_ids":[1.0]}',
        ["exponent"] = '{"seat_ids":[1e3]}',
        ["negative"] = '{"seat_ids":[-1]}',
        ["zero"] = '{"seat_ids":[0]}',
        ["leading zero"] = '{"seat_ids":[07]}',
        ["string id"] = '{"seat_ids":["1"]}',
        ["duplicate"] = '{"seat_ids":[1,2,1]}',
        ["too many"] = '{"seat_ids":[1,2,3,4,5]}',
        ["too large"] = '{"seat_ids":[9007199254740992]}',
        ["extra key"] = '{"seat_ids":[1],"x":1}',
        ["trailing comma"] = '{"seat_ids":[1,]}',
        ["missing comma"] = '{"seat_ids":[1 2]}',
        ["trailing data"] = '{"seat_ids":[1]} x',
        ["null"] = '{"seat_ids":null}',
        ["nested"] = '{"seat_ids":[[1]]}',
        ["not an object"] = '[1]',
        ["unclosed"] = '{"seat_ids":[1',
    }
    for name, raw in pairs(bad) do
        it("rejects " .. name, function()
            local ids, canon, err = body.parse(raw, 4)
            assert.is_nil(ids)
            assert.is_nil(canon)
            assert.is_string(err)
        end)
    end

    it("rejects a body over 4096 bytes", function()
        local _, _, err = body.parse('{"seat_ids":[1' .. string.rep(" ", 4096) .. "]}", 4)
        assert.matches("4096", err)
    end)
end)
