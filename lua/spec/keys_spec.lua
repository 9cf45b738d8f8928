local keys = require "boxoffice.keys"

describe("boxoffice.keys", function()
    it("puts every key of a session under its hash tag", function()
        assert.are.equal("{s:7}:meta", keys.key("7", "meta"))
        assert.are.equal("{s:7}:lease:timeouts", keys.key(7, "lease:timeouts"))
    end)

    it("refuses a name that is not a sale key", function()
        assert.has_error(function() keys.key("7", "seat") end, "no sale key seat")
    end)

    it("names a buyer's idempotency record by session, buyer and key", function()
        assert.are.equal("{s:7}:idem:42:k-1", keys.idem("7", "42", "k-1"))
    end)

    it("lists the keys of hold.lua in its order, the idempotency record last", function()
        assert.are.same({ "{s:7}:meta", "{s:7}:seats", "{s:7}:price", "{s:7}:tier", "{s:7}:counts",
            "{s:7}:soldout", "{s:7}:reserved", "{s:7}:held", "{s:7}:holds", "{s:7}:expiry", "{s:7}:outbox",
            "{s:7}:seq", "{s:7}:conflict", "{s:7}:eventseq", "{s:7}:index", "{s:7}:packed", "{s:7}:holders",
            "{s:7}:idem:42:k-1" },
            keys.hold("7", "42", "k-1"))
    end)
end)
