package paygw

import (
	"fmt"
	"html/template"
	"net/http"

	"boxoffice/internal/payments"
)

var payPage = template.Must(template.New("pay").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pay {{.OrderNo}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
.amount{font-size:2rem;margin:1rem 0}button{font-size:1.1rem;padding:.5rem 1.5rem;margin-right:1rem}
.note{color:#666;font-size:.9rem}</style></head>
<body><h1>boxoffice pay (mock gateway)</h1>
<p>Order <strong>{{.OrderNo}}</strong></p>
<p class="amount">{{.Amount}}</p>
<p>Payment {{.ID}}: <strong id="status">{{.Status}}</strong>{{if .TxnID}} (transaction {{.TxnID}}){{end}}</p>
{{if eq .Status "PENDING"}}
<form method="post" action="/pay/{{.ID}}/confirm" style="display:inline"><button type="submit">Pay</button></form>
<form method="post" action="/pay/{{.ID}}/decline" style="display:inline"><button type="submit">Decline</button></form>
{{else if eq .Status "SUCCEEDED"}}<p>Paid. The merchant is being notified{{if not .ReturnURL}}; you may close this page{{end}}.</p>
{{else}}<p>Declined. Start the payment again from the merchant's site.</p>{{end}}
{{if .ReturnURL}}<p><a id="return" href="{{.ReturnURL}}">Back to the shop</a></p>{{end}}
<p class="note">A development stand-in for a payment provider: no money moves.</p>
</body></html>
`))

type pageData struct {
	payment
	Amount string
}

// page is the pay page a buyer is sent to.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	p, ok := s.store.get(r.PathValue("id"))
	if !ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		http.Error(w, "no such payment", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	amount := fmt.Sprintf("%d.%02d", p.AmountCents/100, p.AmountCents%100)
	if err := payPage.Execute(w, pageData{payment: p, Amount: amount}); err != nil {
		s.Log.Error("pay page", "err", err)
	}
}

// pageAction runs an action from the pay page's form and shows the page
// again (a declined or refused action shows in the payment's status).
func (s *Server) pageAction(act func(id string) (payments.Payment, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, err := act(id); err != nil {
			s.Log.Info("pay page action refused", "payment", id, "err", err)
		}
		http.Redirect(w, r, "/pay/"+id, http.StatusSeeOther)
	}
}
