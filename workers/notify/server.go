package notify

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"boxoffice/internal/auth"
	"boxoffice/internal/boxoffice"
	"boxoffice/internal/web"
)

// Server serves the SSE streams.
type Server struct {
	Hub      *Hub
	Keys     *auth.Keys
	Log      *slog.Logger
	Sessions *Sessions // when set, a stream of a session that does not exist is a 404

	// Tuning; zero values get the defaults in parentheses.
	Heartbeat    time.Duration // how often a ": ping" comment is sent (15 s)
	WriteTimeout time.Duration // longest one write to a client may take (10 s)
}

// Handler returns the routes: GET /api/sale/sessions/{sid}/events (no
// auth) and GET /api/me/events (a buyer's token, in the Authorization
// header, the access_token query parameter or the TokenCookie cookie).
// Errors are the JSON shape.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/sale/sessions/{sid}/events", s.sessionEvents)
	mux.HandleFunc("GET /api/me/events", s.myEvents)
	notAllowed := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		web.WriteError(w, boxoffice.Errorf(boxoffice.EMETHOD, "use GET"))
	}
	mux.HandleFunc("/api/sale/sessions/{sid}/events", notAllowed)
	mux.HandleFunc("/api/me/events", notAllowed)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		web.WriteError(w, boxoffice.Errorf(boxoffice.ENOTFOUND, "no such route"))
	})
	return mux
}

func (s *Server) sessionEvents(w http.ResponseWriter, r *http.Request) {
	sid, ok := boxoffice.ParseID(r.PathValue("sid"))
	if !ok {
		web.WriteError(w, boxoffice.Errorf(boxoffice.EINVALID, "the session id must be a positive integer"))
		return
	}
	if err := s.sessionExists(r.Context(), sid); err != nil {
		web.WriteError(w, err)
		return
	}
	s.stream(w, r, StreamSession, sid)
}

// sessionExists returns ENOTFOUND for a session that does not exist and
// EUNAVAILABLE when that cannot be told.
func (s *Server) sessionExists(ctx context.Context, sid int64) error {
	if s.Sessions == nil {
		return nil
	}
	ok, err := s.Sessions.Exists(ctx, sid)
	switch {
	case err != nil:
		s.Log.Warn("session lookup failed", "session", sid, "err", err)
		return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "cannot tell whether the session exists; reconnect shortly")
	case !ok:
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "session %d does not exist", sid)
	}
	return nil
}

func (s *Server) myEvents(w http.ResponseWriter, r *http.Request) {
	claims, err := s.verify(r)
	if err != nil {
		web.WriteError(w, err)
		return
	}
	s.stream(w, r, StreamUser, claims.UserID())
}

// TokenCookie is the cookie the buyer app keeps its token in (Path=/api/,
// SameSite=Strict), so that its EventSource, which cannot send headers,
// is authenticated without the token in a URL.
const TokenCookie = "boxoffice_token"

// verify checks the buyer's token: the Authorization header, else the
// access_token query parameter, else the TokenCookie cookie. It returns
// EUNAUTHORIZED or, for another role, EFORBIDDEN.
func (s *Server) verify(r *http.Request) (*auth.Claims, error) {
	token := r.URL.Query().Get("access_token")
	if h := r.Header.Get("Authorization"); h != "" {
		token, _ = strings.CutPrefix(h, "Bearer ")
		if token == h {
			token = ""
		}
	}
	if c, err := r.Cookie(TokenCookie); token == "" && err == nil {
		token = c.Value
	}
	if token == "" {
		return nil, boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "missing bearer token (Authorization header, access_token parameter or "+TokenCookie+" cookie)")
	}
	claims, err := s.Keys.Verify(token, time.Now())
	if err != nil {
		return nil, err
	}
	if claims.Role != auth.RoleUser {
		return nil, boxoffice.Errorf(boxoffice.EFORBIDDEN, "this needs the "+auth.RoleUser+" role")
	}
	return claims, nil
}

// stream subscribes and writes frames and heartbeats until the client
// leaves, falls behind, or the daemon shuts down.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, kind string, id int64) {
	sub, err := s.Hub.Subscribe(kind, id)
	if err != nil {
		web.WriteError(w, unavailable(err))
		return
	}
	defer s.Hub.Unsubscribe(sub)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	out := &sseWriter{w: w, rc: http.NewResponseController(w), timeout: orDefault(s.WriteTimeout, 10*time.Second)}
	if out.write([]byte("retry: 2000\n\n")) {
		s.pump(r, sub, out)
	}
}

// pump copies sub's frames to out, with a heartbeat comment every
// Heartbeat, until one of them ends.
func (s *Server) pump(r *http.Request, sub *Sub, out *sseWriter) {
	beat := time.NewTicker(orDefault(s.Heartbeat, 15*time.Second))
	defer beat.Stop()
	ok := true
	for ok {
		select {
		case <-r.Context().Done():
			return
		case <-sub.Done():
			return
		case f := <-sub.Frames():
			ok = out.write(f, drain(sub)...)
		case <-beat.C:
			ok = out.write([]byte(": ping\n\n"))
		}
	}
}

// drain returns the frames already queued for sub, without waiting.
func drain(sub *Sub) [][]byte {
	var more [][]byte
	for {
		select {
		case f := <-sub.Frames():
			more = append(more, f)
		default:
			return more
		}
	}
}

// sseWriter writes frames to one client, each write bounded in time, and
// flushes after each batch.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

// write sends the frames and flushes; it reports false if the client is
// gone or too slow.
func (o *sseWriter) write(first []byte, more ...[]byte) bool {
	_ = o.rc.SetWriteDeadline(time.Now().Add(o.timeout))
	for _, f := range append([][]byte{first}, more...) {
		if _, err := o.w.Write(f); err != nil {
			return false
		}
	}
	return o.rc.Flush() == nil
}

// unavailable maps a Subscribe error to a 503.
func unavailable(err error) error {
	msg := "notify is shutting down; reconnect shortly"
	if errors.Is(err, ErrFull) {
		msg = "too many live-update streams are open; reconnect shortly"
	}
	return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "%s", msg)
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
