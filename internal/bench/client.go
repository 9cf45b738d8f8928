package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// requestTimeout is the most one request may take before its connection
// is dropped and the grab counted as answered by nothing.
const requestTimeout = 30 * time.Second

// httpTarget posts grabs to url(session) over keep-alive HTTP/1.1
// connections, conns of them. It is a plain client of its own: it writes a
// request in one call and reads the status and the body, so the load
// generator takes little of the CPU it shares with the stack (net/http's
// client, with two goroutines and a handoff per request and connection,
// took about as much CPU per grab as the edge answering it).
type httpTarget struct {
	addr   string // host:port
	prefix string // "http://" + addr
	url    func(sid int64) string
	idle   chan *httpConn
}

// httpConn is one connection and its buffers.
type httpConn struct {
	c    net.Conn
	r    *bufio.Reader
	req  []byte
	body []byte
}

// newHTTP returns a target for url, an http:// URL per session.
func newHTTP(url func(sid int64) string, conns int) *httpTarget {
	addr, _, _ := strings.Cut(strings.TrimPrefix(url(0), "http://"), "/")
	return &httpTarget{addr: addr, prefix: "http://" + addr, url: url, idle: make(chan *httpConn, conns)}
}

func (t *httpTarget) close() {
	for {
		select {
		case c := <-t.idle:
			c.c.Close()
		default:
			return
		}
	}
}

// warm opens the target's connections before the load, conns GETs of
// healthURL at once, so that connecting (a burst of new connections may
// wait for the server's accept queue) is not counted as grabbing.
func (t *httpTarget) warm(healthURL string, conns int) error {
	path := strings.TrimPrefix(healthURL, t.prefix)
	errs := make(chan error, conns)
	for range conns {
		go func() {
			c, err := t.dial()
			if err == nil {
				c.req = append(append(append(c.req[:0], "GET "...), path...), " HTTP/1.1\r\nHost: "...)
				c.req = append(append(c.req, t.addr...), "\r\n\r\n"...)
				_, _, keep, rerr := c.roundTrip()
				err = t.finish(c, keep, rerr)
			}
			errs <- err
		}()
	}
	var first error
	for range conns {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// finish puts c back for the next request, or closes it.
func (t *httpTarget) finish(c *httpConn, keep bool, err error) error {
	if err == nil && keep {
		select {
		case t.idle <- c:
			return nil
		default:
		}
	}
	c.c.Close()
	return err
}

func (t *httpTarget) dial() (*httpConn, error) {
	c, err := net.DialTimeout("tcp", t.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &httpConn{c: c, r: bufio.NewReaderSize(c, 4096)}, nil
}

func (t *httpTarget) grab(g grab) reply {
	var c *httpConn
	select {
	case c = <-t.idle:
	default:
		var err error
		if c, err = t.dial(); err != nil {
			return reply{}
		}
	}
	c.req = t.appendGrab(c.req[:0], g)
	status, body, keep, err := c.roundTrip()
	r := reply{status: status}
	if err == nil && status == 201 {
		r.orderNo = orderNo(body)
	}
	if t.finish(c, keep, err) != nil {
		return reply{}
	}
	return r
}

// appendGrab appends the request of g to b.
func (t *httpTarget) appendGrab(b []byte, g grab) []byte {
	ids := idList(g.seats)
	b = append(b, "POST "...)
	b = append(b, strings.TrimPrefix(t.url(g.sid), t.prefix)...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, t.addr...)
	b = append(b, "\r\nContent-Type: application/json\r\nAuthorization: "...)
	b = append(b, g.buyer.auth...)
	b = append(b, "\r\nIdempotency-Key: "...)
	b = append(b, g.key...)
	b = append(b, "\r\nX-Forwarded-For: "...)
	b = append(b, g.buyer.ip...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(`{"seat_ids":}`)+len(ids)), 10)
	b = append(b, "\r\n\r\n{\"seat_ids\":"...)
	b = append(b, ids...)
	return append(b, '}')
}

var errReply = errors.New("malformed HTTP reply")

// roundTrip writes c.req and reads the reply: its status, its body (valid
// until the next request) and whether the connection may be kept.
func (c *httpConn) roundTrip() (status int, body []byte, keep bool, err error) {
	if err = c.c.SetDeadline(time.Now().Add(requestTimeout)); err != nil {
		return 0, nil, false, err
	}
	if _, err = c.c.Write(c.req); err != nil {
		return 0, nil, false, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, nil, false, errReply
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, nil, false, errReply
	}
	length, chunked, keep, err := c.headers()
	if err != nil {
		return 0, nil, false, err
	}
	if chunked {
		body, err = c.chunks()
	} else {
		body, err = c.read(length)
	}
	return status, body, keep, err
}

// headers reads the reply's headers: the body's length (-1: none given),
// whether it is chunked, and whether the connection may be kept.
func (c *httpConn) headers() (length int, chunked, keep bool, err error) {
	length, keep = -1, true
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, false, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return length, chunked, keep, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, false, errReply
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, false, false, errReply
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
}

// read reads a body of n bytes into c.body.
func (c *httpConn) read(n int) ([]byte, error) {
	if n < 0 {
		return nil, errReply // a reply must say how long it is, to keep the connection
	}
	if cap(c.body) < n {
		c.body = make([]byte, n)
	}
	c.body = c.body[:n]
	_, err := io.ReadFull(c.r, c.body)
	return c.body, err
}

// chunks reads a chunked body into c.body.
func (c *httpConn) chunks() ([]byte, error) {
	c.body = c.body[:0]
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w: chunk size %q", errReply, size)
		}
		if n == 0 {
			return c.body, c.trailer()
		}
		at := len(c.body)
		c.body = append(c.body, make([]byte, n+2)...)
		if _, err := io.ReadFull(c.r, c.body[at:]); err != nil {
			return nil, err
		}
		c.body = c.body[:at+int(n)] // without the chunk's CRLF
	}
}

// trailer reads the trailer section after the last chunk, up to its
// empty line.
func (c *httpConn) trailer() error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return nil
		}
	}
}
