package catalog

// Internals for the external tests.
var (
	ShowKey    = showKey
	SessionKey = sessionKey
	ListKey    = listKey
)

func (q ShowsQuery) Normalize() (ShowsQuery, error) { return q.normalize() }

// RoundTrip encodes e as the cache Redis holds it and decodes it again.
func RoundTrip(e Entry, notFound string) (Entry, bool, error) {
	got, ok := decode(entry{Entry: e, notFound: notFound, gen: "7"}.encode())
	r, err := got.result()
	return r, ok, err
}

// Decode reports whether s is a valid cache value.
func Decode(s string) bool { _, ok := decode(s); return ok }
