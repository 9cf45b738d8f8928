//go:build integration

package openresty_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"boxoffice/internal/auth"
	"boxoffice/internal/payments"
	"boxoffice/internal/testenv"
)

// apiContract is every status the api may answer through the edge.
var apiContract = map[int]bool{200: true, 201: true, 204: true, 400: true, 401: true, 403: true, 404: true,
	405: true, 409: true, 413: true, 414: true, 422: true, 428: true, 429: true, 503: true}

// Values a hostile client puts where a time, a number, a phone, a
// version or an id belongs.
var (
	hostileTimes = []string{"0000-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+00:01",
		"10000-01-01T00:00:00Z", "2030-02-30T00:00:00Z", "2030-01-01T24:00:00Z", "2030-01-01", "-2030-01-01T00:00:00Z",
		"2030-01-01T00:00:00+24:00", "2030-01-01T00:00:00Z\xff", "", "2030-01-10T20:00:00Z"}
	hostileNumbers = []string{"-1", "0", "-9223372036854775808", "9223372036854775807", "9223372036854775808",
		"18446744073709551616", "1e400", "1.5", "-0", `"7"`, "null", "true", "[]", "{}", "4294967296", "65536"}
	hostilePhones = []string{"+86+86 13800138000", "+86 +86 13900139000", "+86+447700900123", "++8613800138000",
		"+8613800138000", "13800138000\xff", "１３８００１３８０００", "+0 13800138000", "+86-", "+"}
	hostileTags = []string{`"+1"`, `"01"`, `"-1"`, `" 1"`, `"1 "`, `"1"x`, `W/"1"`, `"9223372036854775808"`,
		`"0"`, `1`, `""`, `"`, `"1","2"`, `*`, `"1"`}
	hostileIDs = []string{"+1", "01", "-1", "0", "9223372036854775808", "1e3", "1.0", "x", "%20", "999999999"}
)

// apiTarget is the objects the fuzz may change: its own venue, show and
// session, never the demo data.
type apiTarget struct {
	venue, show, session int64
	admin, buyer, gone   string // tokens; gone names a user that does not exist
	paySecret            string
}

// apiRequest makes one random, usually malformed, request to an admin or
// public route of the api.
func apiRequest(rng *rand.Rand, base string, tg *apiTarget) *http.Request {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	id := func(own int64) string {
		if rng.IntN(3) == 0 {
			return pick(hostileIDs...)
		}
		return fmt.Sprint(own)
	}
	num := func(good string) string {
		if rng.IntN(2) == 0 {
			return pick(hostileNumbers...)
		}
		return good
	}
	tm := func(good string) string {
		if rng.IntN(2) == 0 {
			return fmt.Sprintf("%q", pick(hostileTimes...))
		}
		return fmt.Sprintf("%q", good)
	}
	str := func(good string) string {
		switch rng.IntN(5) {
		case 0:
			return `"` + good + "\xff\xc3" + `"`
		case 1:
			return `"` + good + `\ud800"`
		}
		return fmt.Sprintf("%q", good)
	}
	token, method, path, body := tg.admin, "GET", "", ""
	switch rng.IntN(14) {
	case 0:
		method, path = "POST", "/admin/api/venues"
		body = `{"name":` + str("Fz "+fmt.Sprint(rng.Uint64())) + `,"city":` + str("X") + `}`
	case 1:
		method, path = "PUT", "/admin/api/venues/"+id(tg.venue)
		body = `{"name":` + str("Fz "+fmt.Sprint(rng.Uint64())) + `,"city":"X"}`
	case 2:
		method, path = "PUT", "/admin/api/venues/"+id(tg.venue)+"/seats"
		body = `{"seats":[{"section":` + str(pick("A", "Á", "a")) + `,"row":"1","number":` + num("1") +
			`,"x":` + num("0") + `,"y":0,"tier":"A"},{"section":` + str(pick("A", "Á", "à")) + `,"row":"1","number":1,"x":0,"y":0,"tier":"A"}]}`
	case 3:
		method, path = "POST", "/admin/api/sessions"
		body = fmt.Sprintf(`{"show_id":%s,"venue_id":%s,"starts_at":%s,"reserve_opens_at":%s,"reserve_closes_at":%s,`+
			`"sale_opens_at":%s,"sale_closes_at":%s,"seat_limit":%s,"hold_seconds":%s}`,
			num(fmt.Sprint(tg.show)), num(fmt.Sprint(tg.venue)), tm("2030-01-10T20:00:00Z"), tm("2030-01-01T00:00:00Z"),
			tm("2030-01-05T00:00:00Z"), tm("2030-01-06T00:00:00+08:00"), tm("2030-01-09T00:00:00Z"), num("4"), num("900"))
	case 4:
		path = "/admin/api/" + pick("sessions", "shows") + "?" + pick("from", "to") + "=" +
			url.QueryEscape(pick(hostileTimes...)) + "&page=" + url.QueryEscape(pick(hostileNumbers...))
	case 5:
		method, path = "PUT", "/admin/api/sessions/"+id(tg.session)+"/tiers"
		body = `{"tiers":[{"code":` + str("A") + `,"name":"A","price_cents":` + num("100") + `}]}`
	case 6:
		method, path = "DELETE", "/admin/api/shows/"+id(999999999)
	case 7:
		token, method, path = "", "POST", "/api/auth/"+pick("register", "login")
		body = `{"phone":` + fmt.Sprintf("%q", pick(hostilePhones...)) + `,"password":` + str("pw") + `}`
	case 8:
		token, path = "", "/api/"+pick("shows/", "sessions/")+id(tg.session)
	case 9:
		token, path = "", "/api/shows?q="+url.QueryEscape(pick("a\xff", "Á", strings.Repeat("q", 300)))+
			"&page="+url.QueryEscape(pick(hostileNumbers...))
	case 10:
		token, method, path = pick(tg.buyer, tg.gone), "POST", "/api/sessions/"+id(tg.session)+"/reservations"
	case 11:
		token, method, path = tg.buyer, "POST", "/api/orders/"+pick("X", "0", "NO1", strings.Repeat("9", 60))+"/"+pick("pay", "cancel")
	case 12:
		return paymentRequest(rng, base, tg.paySecret, num("100"), str("P"))
	default:
		token, path = "", "/api/sale/sessions/"+pick("999999999", "1000000001", "0", "01", "+5")+"/events"
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		panic(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", pick("application/json", "application/json", "application/json", "text/plain"))
	}
	if method == "PUT" || method == "DELETE" {
		req.Header.Set("If-Match", pick(hostileTags...))
	}
	switch {
	case token == "":
	case rng.IntN(10) == 0:
		req.Header["Authorization"] = []string{"Bearer " + token, "Bearer " + token}
	case rng.IntN(10) == 0:
		req.Header.Set("Authorization", "Bearer "+hostileTokens[rng.IntN(len(hostileTokens))])
	default:
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// paymentRequest is a correctly signed payment notification, usually for
// an order that does not exist, with a hostile amount or id.
func paymentRequest(rng *rand.Rand, base, secret, amount, id string) *http.Request {
	body := []byte(`{"payment_id":` + id + `,"order_no":"FZ` + fmt.Sprint(rng.Uint64()) + `","txn_id":"FZ` +
		fmt.Sprint(rng.Uint64()) + `","status":"SUCCEEDED","amount_cents":` + amount + `}`)
	req, _ := http.NewRequest("POST", base+"/api/payments/notify", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(payments.SignatureHeader, payments.Sign(secret, body))
	return req
}

// 600 random, mostly malformed requests to the api's admin and public
// routes through the edge: every answer is a contract status (never a
// 500) in JSON, errors in the JSON error shape, and nginx logs no Lua error.
func TestAPIFuzz(t *testing.T) {
	defer noLuaErrors(t)()
	cfg := testenv.Config(t)
	s := testenv.NewSession(t, testenv.DB(t), testenv.SessionSpec{})
	buyers := testenv.NewBuyers(t, testenv.DB(t), 1)
	hostileTokens = nil
	for _, sub := range []string{"9223372036854775808", "+1", "01"} {
		hostileTokens = append(hostileTokens, signedToken(t, sub, auth.RoleUser), signedToken(t, sub, auth.RoleAdmin))
	}
	tg := &apiTarget{venue: s.VenueID, show: s.ShowID, session: s.ID, admin: testenv.Admin(t).Token,
		buyer: buyers[0].Token, gone: signedToken(t, "9000000000000000002", auth.RoleUser), paySecret: cfg.PaySecret}

	fuzz(t, 600, 6, 7, func(rng *rand.Rand) *http.Request {
		return apiRequest(rng, "http://"+cfg.EdgeAddr, tg)
	}, checkAPI)
}

// checkAPI sends req and returns its status and what is wrong with the
// answer.
func checkAPI(client *http.Client, req *http.Request) (int, string) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	switch {
	case !apiContract[resp.StatusCode]:
		return resp.StatusCode, fmt.Sprintf("status %d is not in the contract: %s", resp.StatusCode, raw)
	case resp.StatusCode >= 400:
		return resp.StatusCode, jsonErrorProblem(resp, raw)
	case resp.StatusCode != 204 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"):
		return resp.StatusCode, fmt.Sprintf("status %d with Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, ""
}
