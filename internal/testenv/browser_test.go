package testenv

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<html><body><button id=b onclick="this.textContent='clicked'">go</button></body></html>`))
	}))
	defer srv.Close()
	ctx := Browser(t)
	Do(t, ctx, 30*time.Second, "click", chromedp.Navigate(srv.URL), chromedp.Click("#b"))
	text := Get(t, ctx, 10*time.Second, "read", chromedp.Text("#b"))
	if text != "clicked" {
		t.Fatalf("got %q", text)
	}
	t.Log(Screenshot(t, ctx, "browser-check"))
}
