// The live sale dashboard: one request (GET /sessions/{id}/dashboard)
// every POLL_MS while the page is visible.
import { api } from "./api.js";
import { h, view, table } from "./ui.js";

const POLL_MS = 800;
const COLORS = { created: "#2f9e44", replayed: "#74b816", seat_unavailable: "#f08c00", sold_out: "#c92a2a",
  rate_limited: "#ae3ec9", not_eligible: "#1971c2", limit_exceeded: "#0c8599", unavailable: "#e03131" };
const color = (o) => COLORS[o] || "#868e96";

export async function dashboard(id) {
  const { data: s } = await api("GET", `/sessions/${id}`);
  const { data: show } = await api("GET", `/shows/${s.show_id}`);
  const state = h("strong", { id: "live-state" });
  const totals = h("dl", { class: "figures", id: "live-totals" });
  const tiers = h("tbody", { id: "live-tiers" });
  const chart = h("canvas", { width: 900, height: 240, class: "chart", role: "img", id: "grab-chart",
    "aria-label": "Grabs per second by outcome, the last minute" });
  const legend = h("ul", { class: "legend", id: "grab-legend" });
  const alarms = h("ul", { class: "alarms", id: "alarms", "aria-live": "polite" });
  const updated = h("p", { class: "muted", id: "live-updated" });
  const failure = h("p", { class: "error", role: "alert" });
  view(h("h1", {}, `Live: ${show.title}`),
    h("p", {}, h("a", { href: `#/sessions/${id}` }, "← session"), " · state ", state),
    totals,
    h("h2", {}, "Seats by tier"),
    table(["Tier", "Available", "Held", "Sold"], tiers),
    h("h2", {}, "Grabs per second"), chart, legend,
    h("h2", {}, "Integrity alarms"), alarms, updated, failure);

  let timer = 0, stopped = false;
  async function tick() {
    if (stopped) return;
    if (!document.hidden) {
      try {
        const { data } = await api("GET", `/sessions/${id}/dashboard`);
        render(data);
        failure.textContent = "";
      } catch (err) {
        failure.textContent = `Live data unavailable: ${err.message}`;
      }
    }
    if (!stopped) timer = setTimeout(tick, POLL_MS);
  }
  function render(d) {
    state.textContent = d.stats.state + (d.stats.sold_out ? " (sold out)" : "");
    const last = lastSecond(d.grabs);
    const behind = Math.max(0, d.holds - d.lag.orders);
    const fig = [["Available", d.stats.total.available, "available"], ["Held", d.stats.total.held, "held"],
      ["Sold", d.stats.total.sold, "sold"], ["Reservations", d.stats.reservations, "reservations"],
      ["Holds made", d.holds, "holds"], ["Order rows behind", behind, "behind"],
      ["Grabs/s (last second)", last, "rate"],
      ["Hold → order (avg / max, last minute)", d.lag.recent ? `${Math.round(d.lag.avg_ms)} / ${Math.round(d.lag.max_ms)} ms` : "—", "lag"]];
    totals.replaceChildren(...fig.flatMap(([k, v, key]) => [h("dt", {}, k), h("dd", { "data-key": key }, String(v))]));
    tiers.replaceChildren(...Object.keys(d.stats.tiers).sort().map((t) => {
      const c = d.stats.tiers[t];
      return h("tr", { "data-tier": t }, h("th", { scope: "row" }, t), h("td", {}, String(c.available)),
        h("td", { class: "held" }, String(c.held)), h("td", {}, String(c.sold)));
    }));
    drawChart(chart, d.grabs);
    legend.replaceChildren(...Object.entries(d.grabs.counts).sort().map(([o, series]) => {
      const sw = h("span", { class: "swatch" });
      sw.style.background = color(o);
      return h("li", { "data-outcome": o }, sw, `${o}: ${series.reduce((a, b) => a + b, 0)} in the last minute`);
    }));
    alarms.replaceChildren(...(d.alarms.length ? d.alarms.map((a) => h("li", { class: "alarm" }, a))
      : [h("li", { class: "ok" }, "None: the seat counters match the seats and no order waits for a refund.")]));
    updated.textContent = `Updated ${new Date(d.at).toLocaleTimeString()}`;
  }
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

// lastSecond is the total of all outcomes in the newest complete second.
function lastSecond(g) {
  let n = 0;
  for (const series of Object.values(g.counts)) n += series[series.length - 1] || 0;
  return n;
}

// drawChart draws one line per outcome over the window, newest at the right.
function drawChart(el, g) {
  const ctx = el.getContext("2d");
  const w = el.width, hgt = el.height, pad = 30;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, hgt);
  const series = Object.entries(g.counts);
  const len = series[0]?.[1].length || 60;
  let max = 1;
  for (const [, s] of series) for (const v of s) max = Math.max(max, v);
  ctx.strokeStyle = "#dee2e6"; ctx.fillStyle = "#495057"; ctx.font = "11px sans-serif"; ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = hgt - pad - (i / 4) * (hgt - 2 * pad);
    ctx.beginPath(); ctx.moveTo(pad, y); ctx.lineTo(w - 5, y); ctx.stroke();
    ctx.fillText(String(Math.round((max * i) / 4)), 2, y + 4);
  }
  ctx.fillText(`${len} s ago`, pad, hgt - 10);
  ctx.fillText("now", w - 30, hgt - 10);
  const x = (i) => pad + (i / Math.max(1, len - 1)) * (w - pad - 5);
  const y = (v) => hgt - pad - (v / max) * (hgt - 2 * pad);
  for (const [o, s] of series) {
    ctx.strokeStyle = color(o); ctx.lineWidth = 2;
    ctx.beginPath();
    s.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.stroke();
  }
}
