-- boxoffice.metrics over a fake shared dict.
local fakes = require "spec.fakes"

describe("boxoffice.metrics", function()
    local metrics

    before_each(function()
        fakes.ngx({ boxoffice_metrics = fakes.dict() })
        package.loaded["boxoffice.metrics"] = nil
        metrics = require "boxoffice.metrics"
    end)

    local function line(text, name)
        return text:match("\n" .. name:gsub("[%p]", "%%%0") .. " ([^\n]+)")
    end

    it("renders only the headers before any grab", function()
        local text = metrics.render()
        assert.are.equal(4, select(2, text:gsub("\n", "")))
        assert.is_nil(text:find("_bucket", 1, true))
    end)

    it("counts outcomes and renders the script latency as cumulative buckets", function()
        metrics.outcome("created")
        metrics.outcome("created")
        for _, s in ipairs({ 0.0004, 0.0007, 0.3, 3 }) do
            metrics.script_latency(s)
        end
        local text = metrics.render()
        assert.are.equal("2", line(text, 'boxoffice_edge_grabs_total{outcome="created"}'))
        assert.are.equal("1", line(text, 'boxoffice_edge_script_seconds_bucket{le="0.0005"}'))
        assert.are.equal("2", line(text, 'boxoffice_edge_script_seconds_bucket{le="0.001"}'))
        assert.are.equal("2", line(text, 'boxoffice_edge_script_seconds_bucket{le="0.2"}'))
        assert.are.equal("3", line(text, 'boxoffice_edge_script_seconds_bucket{le="0.5"}'))
        assert.are.equal("4", line(text, 'boxoffice_edge_script_seconds_bucket{le="+Inf"}'))
        assert.are.equal("4", line(text, "boxoffice_edge_script_seconds_count"))
        assert.is_nil(text:find("only:", 1, true))
    end)
end)
