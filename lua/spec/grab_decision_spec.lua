local cjson = require "cjson"
local decision = require "boxoffice.grab_decision"

local NOW = 1800000000

-- verifier accepts the token "buyer" (user 42) and "admin", at NOW only.
local verifier = {
    verify = function(_, token, now)
        if now ~= NOW then return nil, "token expired" end
        if token == "buyer" then return { sub = "42", role = "user" } end
        if token == "admin" then return { sub = "1", role = "admin" } end
        return nil, "token signature invalid"
    end,
}

-- request returns a valid grab request with over's changes (false
-- removes a fact).
local function request(over)
    local r = { method = "POST", content_type = "application/json", idempotency_key = "k-1",
        body = '{"seat_ids":[12,3]}', authorization = "Bearer buyer", now = NOW }
    for k, v in pairs(over or {}) do r[k] = v or nil end
    return r
end

-- refused checks a refusal's status, code and message (a pattern).
local function refused(o, status, code, message)
    assert.are.equal(status, o.status)
    assert.are.equal(code, o.code)
    assert.matches(message, o.message)
end

-- script is the hold script's reply.
local function script(status, code, payload)
    return decision.script({ status, code, cjson.encode(payload) })
end

describe("boxoffice.grab_decision", function()
    describe("request", function()
        it("accepts a buyer's grab: the buyer, the key and the seats, sorted for idempotency", function()
            local g = assert(decision.request(request(), verifier))
            assert.are.same({ uid = "42", key = "k-1", ids = { "12", "3" }, canon = "3,12" }, g)
        end)

        it("accepts a JSON Content-Type with parameters", function()
            assert.is_table(decision.request(request({ content_type = "application/json; charset=utf-8" }), verifier))
        end)

        local bad = {
            { "another method", { method = "PUT" }, "use POST" },
            { "another Content-Type", { content_type = "text/plain" }, "Content%-Type" },
            { "no Content-Type", { content_type = false }, "Content%-Type" },
            { "no Idempotency-Key", { idempotency_key = false }, "Idempotency%-Key" },
            { "a long Idempotency-Key", { idempotency_key = string.rep("k", 65) }, "Idempotency%-Key" },
            { "an Idempotency-Key with spaces", { idempotency_key = "a b" }, "Idempotency%-Key" },
            { "a body nginx kept in a file", { body = false, body_in_file = true }, "4096" },
            { "no body", { body = false }, "empty" },
            { "a body of another shape", { body = '{"seats":[1]}' }, "seat_ids" },
            { "a seat twice", { body = '{"seat_ids":[3,3]}' }, "twice" },
            { "more seats than the session allows", { body = '{"seat_ids":[1,2,3]}', limit = 2 }, "at most 2" },
            { "more than 20 seats before the limit is known", { body = '{"seat_ids":['
                .. table.concat({ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21 }, ",")
                .. "]}" }, "at most 20" },
        }
        for _, case in ipairs(bad) do
            it("answers 400 bad_request to " .. case[1], function()
                local g, o = decision.request(request(case[2]), verifier)
                assert.is_nil(g)
                refused(o, 400, "bad_request", case[3])
                assert.is_nil(o.retry_after)
            end)
        end

        it("checks the body before the token", function()
            local _, o = decision.request(request({ body = "[]", authorization = "Bearer forged" }), verifier)
            refused(o, 400, "bad_request", "seat_ids")
        end)

        it("answers 401 unauthorized without a bearer token", function()
            for _, auth in ipairs({ false, "Basic YTpi", "buyer" }) do
                local _, o = decision.request(request({ authorization = auth }), verifier)
                refused(o, 401, "unauthorized", "missing bearer token")
            end
        end)

        it("answers 401 unauthorized with why the token is refused", function()
            local _, o = decision.request(request({ authorization = "Bearer forged" }), verifier)
            refused(o, 401, "unauthorized", "signature invalid")
            _, o = decision.request(request({ now = NOW + 7200 }), verifier)
            refused(o, 401, "unauthorized", "expired")
        end)

        it("answers 403 forbidden to a token that is not a buyer's", function()
            local _, o = decision.request(request({ authorization = "Bearer admin" }), verifier)
            refused(o, 403, "forbidden", "buyer")
        end)
    end)

    describe("state", function()
        it("lets the grab go to the script", function()
            assert.is_nil(decision.state(false, true))
        end)

        it("answers 410 sold_out while the session is sold out", function()
            refused(decision.state(true, true), 410, "sold_out", "sold out")
            refused(decision.state(true, false), 410, "sold_out", "sold out")
            refused(decision.state(true, true, false), 410, "sold_out", "sold out")
        end)

        it("sends a retry of a key this edge answered to the script, sold out or not, to replay it", function()
            assert.is_nil(decision.state(true, true, true))
            assert.is_nil(decision.state(false, true, true))
        end)

        it("answers 403 not_eligible to a buyer the Bloom filter does not hold", function()
            refused(decision.state(false, false), 403, "not_eligible", "did not reserve")
        end)

        it("answers 503 recovering with Retry-After while the session is repaired", function()
            local o = decision.state(false, true, nil, true)
            refused(decision.state(true, true, true, true), 503, "recovering", "repaired")
            refused(o, 503, "recovering", "repaired")
            assert.are.equal(2, o.retry_after)
        end)
    end)

    describe("taken", function()
        it("refuses seats all known taken with the script's 409, naming them", function()
            local o = decision.taken({ "12", "3" }, { 1, 2 }, false)
            refused(o, 409, "seat_unavailable", "taken")
            assert.are.same({ seat_ids = { 12, 3 } }, o.fields)
        end)

        it("counts a seat kept out of sale as taken", function()
            refused(decision.taken({ "5" }, { 3 }, false), 409, "seat_unavailable", "taken")
        end)

        it("leaves a grab with one seat that looks free to the script", function()
            assert.is_nil(decision.taken({ "12", "3" }, { 1, 0 }, false))
        end)

        it("leaves a seat the copy does not know to the script", function()
            assert.is_nil(decision.taken({ "12", "3" }, { 1 }, false))
        end)

        it("leaves everything to the script without a fresh copy", function()
            assert.is_nil(decision.taken({ "12" }, nil, false))
        end)

        it("lets a key this edge answered reach the script, to be replayed", function()
            assert.is_nil(decision.taken({ "12", "3" }, { 1, 1 }, true))
        end)
    end)

    describe("script", function()
        it("answers 201 created with the hold, its expiry in RFC 3339", function()
            local o = script(201, "created", { order_no = "B7-1800000000000-1", session_id = 7, seat_ids = { 3, 12 },
                amount_cents = 15000, expires_at = 1800000900123 })
            assert.are.equal(201, o.status)
            assert.are.equal("created", o.code)
            assert.are.same({ order_no = "B7-1800000000000-1", session_id = 7, seat_ids = { 3, 12 },
                amount_cents = 15000, expires_at = "2027-01-15T08:15:00.123Z" }, o.body)
        end)

        it("answers 201 replayed with the first answer to a repeated Idempotency-Key", function()
            local o = script(201, "replay", { order_no = "B7-1-1", expires_at = 1800000900000 })
            assert.are.equal(201, o.status)
            assert.are.equal("replayed", o.code)
            assert.are.equal("B7-1-1", o.body.order_no)
        end)

        it("answers 400 bad_request with the limit to more seats than the session allows", function()
            local o = script(400, "bad_request", { limit = 4 })
            refused(o, 400, "bad_request", "too many seats")
            assert.are.equal(4, o.fields.limit)
        end)

        it("answers 403 not_eligible to a buyer who did not reserve", function()
            refused(script(403, "not_eligible", {}), 403, "not_eligible", "did not reserve")
        end)

        it("answers 503 recovering with Retry-After when the script says the session is repaired", function()
            local o = script(503, "recovering", {})
            refused(o, 503, "recovering", "repaired")
            assert.are.equal(2, o.retry_after)
        end)

        it("answers 403 limit_exceeded with the limit and what the buyer holds", function()
            local o = script(403, "limit_exceeded", { limit = 4, held = 3 })
            refused(o, 403, "limit_exceeded", "seat limit")
            assert.are.same({ limit = 4, held = 3 }, o.fields)
        end)

        it("answers 403 sale_not_open with the sale window in RFC 3339", function()
            local o = script(403, "sale_not_open",
                { opens_at = 1800003600000, closes_at = 1800007200000, state = "ARMED" })
            refused(o, 403, "sale_not_open", "not open")
            assert.are.same({ opens_at = "2027-01-15T09:00:00.000Z", closes_at = "2027-01-15T10:00:00.000Z",
                state = "ARMED" }, o.fields)
        end)

        it("answers 404 not_found for a session not on sale, with the script's message", function()
            refused(script(404, "not_found", { message = "no session 9 on sale" }), 404, "not_found", "no session 9")
        end)

        it("answers 404 not_found with the seats that are not the session's", function()
            local o = script(404, "not_found", { seat_ids = { 99 } })
            refused(o, 404, "not_found", "no such session or seat")
            assert.are.same({ 99 }, o.fields.seat_ids)
        end)

        it("answers 409 seat_unavailable with the seats taken", function()
            local o = script(409, "seat_unavailable", { seat_ids = { 3 } })
            refused(o, 409, "seat_unavailable", "nothing was held")
            assert.are.same({ 3 }, o.fields.seat_ids)
        end)

        it("answers 422 idempotency_conflict to a key used with another body", function()
            refused(script(422, "idempotency_conflict", {}), 422, "idempotency_conflict", "another body")
        end)

        it("answers 503 unavailable with Retry-After when the sale Redis failed", function()
            local o = decision.script(nil)
            refused(o, 503, "unavailable", "try again")
            assert.are.equal(1, o.retry_after)
        end)
    end)

    it("answers 429 rate_limited with Retry-After to a grab the rate limits refused", function()
        local o = decision.rate_limited()
        refused(o, 429, "rate_limited", "slow down")
        assert.are.equal(1, o.retry_after)
    end)

    it("answers 400 bad_request to a body over nginx's limit", function()
        refused(decision.too_large(), 400, "bad_request", "4096")
    end)
end)
