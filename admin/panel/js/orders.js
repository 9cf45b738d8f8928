// Orders: find by number or buyer phone, one order with its items,
// payments and history, and the orders flagged for refund.
import { api, qs } from "./api.js";
import { h, view, go, table, row, pager, when, money } from "./ui.js";

function orderTable(items) {
  if (!items.length) return h("p", { class: "muted", id: "orders-none" }, "No orders found.");
  return table(["Order", "Show", "Buyer", "Status", "Amount", "Held at", "Refund"], items.map((o) => row(
    h("a", { href: `#/orders/${encodeURIComponent(o.order_no)}` }, o.order_no), o.show_title, o.buyer_phone,
    h("span", { class: "badge" }, o.status), money(o.amount_cents), when(o.created_at), o.refund_required ? "needed" : "")),
  { id: "orders" });
}

export async function orderSearch(params) {
  const q = params.get("q") || "";
  const error = h("p", { class: "error", role: "alert", id: "order-q-error", "data-error-for": "q" });
  const form = h("form", { class: "row search", role: "search" },
    h("label", { for: "order-q" }, "Order number or buyer phone"),
    h("input", { id: "order-q", name: "q", type: "search", value: q, required: true, "aria-describedby": error.id }),
    h("button", { type: "submit", class: "primary" }, "Find"));
  form.addEventListener("submit", (e) => { e.preventDefault(); go("#/orders" + qs({ q: form.q.value.trim() })); });
  let result = null;
  if (q) {
    try { result = orderTable((await api("GET", "/orders" + qs({ q }))).data.items); }
    catch (err) { error.textContent = err.message; }
  }
  view(h("h1", {}, "Orders"), form, error, h("p", {}, h("a", { href: "#/orders/refunds" }, "Orders flagged for refund")), result);
}

export async function refundList(params) {
  const { data } = await api("GET", "/orders/refunds" + qs({ page: params.get("page"), per_page: 50 }));
  view(h("h1", {}, "Orders flagged for refund"),
    h("p", {}, "Money arrived for these orders after they could no longer be paid; refund it at the gateway."),
    orderTable(data.items), pager(data, "orders", (page) => "#/orders/refunds" + qs({ page })));
}

export async function orderPage(no) {
  const { data: o } = await api("GET", `/orders/${encodeURIComponent(no)}`);
  const history = [[o.created_at, "Seats held (the grab)"]];
  if (o.pay_deadline) history.push([null, `Payment started; due by ${when(o.pay_deadline)}`]);
  for (const p of o.payments || []) history.push([p.created_at, `Payment ${p.txn_id}: ${p.status}, ${money(p.amount_cents)}${p.refund_required ? " (refund needed)" : ""}`]);
  if (o.paid_at) history.push([o.paid_at, "Paid"]);
  if (o.cancel_reason) history.push([o.updated_at, `${o.status}: ${o.cancel_reason}`]);
  if (!o.paid_at && !o.cancel_reason && o.status !== "LOCKED") history.push([o.updated_at, `Now ${o.status}`]);
  view(h("h1", {}, `Order ${o.order_no}`),
    h("dl", { class: "figures" },
      h("dt", {}, "Show"), h("dd", {}, `${o.show_title}, ${when(o.starts_at)}`),
      h("dt", {}, "Session"), h("dd", {}, h("a", { href: `#/sessions/${o.session_id}` }, String(o.session_id))),
      h("dt", {}, "Buyer"), h("dd", {}, `${o.buyer_phone} (user ${o.buyer_id})`),
      h("dt", {}, "Status"), h("dd", { id: "order-status" }, o.status),
      h("dt", {}, "Amount"), h("dd", {}, money(o.amount_cents)),
      h("dt", {}, "Hold expires"), h("dd", {}, when(o.expire_at)),
      h("dt", {}, "Refund"), h("dd", {}, o.refund_required ? "needed" : "no")),
    h("h2", {}, "Seats"),
    table(["Section", "Row", "Seat", "Price"], o.items.map((i) => row(i.section, i.row, String(i.number), money(i.price_cents))),
      { id: "order-items" }),
    h("h2", {}, "Payments"),
    (o.payments || []).length ? table(["Transaction", "Status", "Amount", "At"],
      o.payments.map((p) => row(p.txn_id, p.status, money(p.amount_cents), when(p.created_at))), { id: "order-payments" })
      : h("p", { class: "muted" }, "No payments."),
    h("h2", {}, "History"),
    h("ol", { class: "history", id: "order-history" }, history.map(([t, what]) => h("li", {}, t ? `${when(t)}: ${what}` : what))));
}
