package admin

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/web"
)

// seatBodyLimit bounds a seat map upload: 60,000 seats are about 5 MiB of
// JSON or 2 MiB of CSV.
const seatBodyLimit = 16 << 20

// Caps on what a refused seat map lists.
const (
	maxProblems   = 20
	maxDuplicates = 50
)

// seatHeader is the CSV header a seat map upload must have (any order).
var seatHeader = []string{"section", "row", "number", "x", "y", "tier"}

type seatInput struct {
	Section string `json:"section"`
	Row     string `json:"row"`
	Number  int64  `json:"number"`
	X       int64  `json:"x"`
	Y       int64  `json:"y"`
	Tier    string `json:"tier"`
}

// seatMap reads the venue's seat map in upload order, versioned by the
// venue.
func (a *API) seatMap(ctx context.Context, id int64) (int64, any, error) {
	v, seats, err := mysql.Seats(ctx, a.DB, id)
	if err != nil {
		return 0, nil, err
	}
	return v.Version, gin.H{"venue_id": v.ID, "version": v.Version, "count": len(seats), "seats": seats}, nil
}

// replaceSeats replaces the venue's seat map from JSON {"seats":[...]} or
// text/csv with a header line, at the venue's version.
func (a *API) replaceSeats(c *gin.Context, id, version int64) (int64, any, boxoffice.CatalogChange, error) {
	seats, err := readSeats(c)
	if err != nil {
		return 0, nil, noChange, err
	}
	v, change, err := mysql.ReplaceSeats(c.Request.Context(), a.DB, id, version, seats)
	if err != nil {
		return 0, nil, noChange, err
	}
	return v.Version, gin.H{"venue_id": v.ID, "version": v.Version, "count": len(seats)}, change, nil
}

func readSeats(c *gin.Context) ([]boxoffice.Seat, error) {
	switch ct := c.ContentType(); ct {
	case "application/json":
		return seatsFromJSON(c)
	case "text/csv":
		return seatsFromCSV(c)
	default:
		return nil, web.Invalid("want Content-Type application/json or text/csv, got %q", ct)
	}
}

func seatsFromJSON(c *gin.Context) ([]boxoffice.Seat, error) {
	var body struct {
		Seats []seatInput `json:"seats"`
	}
	if err := web.BindJSON(c, seatBodyLimit, &body); err != nil {
		return nil, err
	}
	if body.Seats == nil {
		return nil, web.Invalid("seats is required (an empty list clears the seat map)")
	}
	sc := newSeatCheck(func(n int) string { return fmt.Sprintf("seats[%d]", n) }, ".")
	for i, in := range body.Seats {
		if err := sc.add(i, in, nil); err != nil {
			return nil, err
		}
	}
	return sc.result()
}

func seatsFromCSV(c *gin.Context) ([]boxoffice.Seat, error) {
	r := csv.NewReader(http.MaxBytesReader(c.Writer, c.Request.Body, seatBodyLimit))
	r.ReuseRecord = true
	cols, err := csvColumns(r)
	if err != nil {
		return nil, err
	}
	sc := newSeatCheck(func(n int) string { return fmt.Sprintf("line %d", n) }, ": ")
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return sc.result()
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := r.FieldPos(0)
		f := &fields{at: sc.place(line) + sc.sep}
		in := seatInput{Section: rec[cols["section"]], Row: rec[cols["row"]], Tier: rec[cols["tier"]],
			Number: f.integer("number", rec[cols["number"]]),
			X:      f.integer("x", rec[cols["x"]]), Y: f.integer("y", rec[cols["y"]])}
		if err := sc.add(line, in, f); err != nil {
			return nil, err
		}
	}
}

// csvColumns reads the header line and returns each column's position.
func csvColumns(r *csv.Reader) (map[string]int, error) {
	want := strings.Join(seatHeader, ",")
	head, err := r.Read()
	if err == io.EOF {
		return nil, web.Invalid("body is empty; line 1 must be the header %s", want)
	}
	if err != nil {
		return nil, csvError(err)
	}
	cols := map[string]int{}
	for i, h := range head {
		cols[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, name := range seatHeader {
		if _, ok := cols[name]; !ok || len(head) != len(seatHeader) {
			return nil, web.Invalid("line 1 must be the header %s, got %q", want, strings.Join(head, ","))
		}
	}
	return cols, nil
}

func csvError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return web.Invalid("body is larger than %d bytes", seatBodyLimit)
	}
	return web.Invalid("body is not valid CSV: %v", err)
}

// integer parses a decimal integer field.
func (f *fields) integer(field, raw string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil {
		f.fail(field, "must be an integer, got %q", raw)
	}
	return n
}

type seatKey struct {
	section, row string
	number       int
}

// firstSeat is where a place was first named: its position and its index
// in the accepted seats.
type firstSeat struct{ at, index int }

// duplicate is a place named more than once, and where.
type duplicate struct {
	Section string   `json:"section"`
	Row     string   `json:"row"`
	Number  int      `json:"number"`
	At      []string `json:"at"`
}

// seatCheck validates uploaded seats one by one and collects the first
// problems and the duplicated places.
type seatCheck struct {
	place    func(n int) string // names a seat's position n (index or line)
	sep      string             // between the place and the field
	seats    []boxoffice.Seat
	problems []string
	nProblem int
	first    map[seatKey]firstSeat
	dups     map[seatKey]*duplicate
	dupOrder []seatKey
}

func newSeatCheck(place func(int) string, sep string) *seatCheck {
	return &seatCheck{place: place, sep: sep, first: map[seatKey]firstSeat{}, dups: map[seatKey]*duplicate{}}
}

// add checks the seat at position n; f carries problems found while
// parsing it, or is nil. It fails only when the map has too many seats.
func (s *seatCheck) add(n int, in seatInput, f *fields) error {
	if len(s.seats)+s.nProblem >= mysql.MaxSeats {
		return web.Invalid("a seat map has at most %d seats", mysql.MaxSeats)
	}
	if f == nil {
		f = &fields{at: s.place(n) + s.sep}
	}
	f.text("section", &in.Section, mysql.MaxSeatSection, true)
	f.text("row", &in.Row, mysql.MaxSeatRow, true)
	f.between("number", in.Number, 1, mysql.MaxSeatNumber)
	f.between("x", in.X, math.MinInt32, math.MaxInt32)
	f.between("y", in.Y, math.MinInt32, math.MaxInt32)
	f.tierCode("tier", &in.Tier)
	if f.err != nil {
		if s.nProblem++; len(s.problems) < maxProblems {
			s.problems = append(s.problems, f.err.(*boxoffice.Error).Message)
		}
		return nil
	}
	seat := boxoffice.Seat{Section: in.Section, Row: in.Row, Number: int(in.Number), X: int(in.X), Y: int(in.Y), Tier: in.Tier}
	s.seats = append(s.seats, seat)
	s.checkDuplicate(n, seat)
	return nil
}

// checkDuplicate records seat's place; the database compares names without
// case, so this does too.
func (s *seatCheck) checkDuplicate(n int, seat boxoffice.Seat) {
	k := seatKey{strings.ToLower(seat.Section), strings.ToLower(seat.Row), seat.Number}
	first, seen := s.first[k]
	if !seen {
		s.first[k] = firstSeat{at: n, index: len(s.seats) - 1}
		return
	}
	d := s.dups[k]
	if d == nil {
		f := s.seats[first.index]
		d = &duplicate{Section: f.Section, Row: f.Row, Number: f.Number, At: []string{s.place(first.at)}}
		s.dups[k] = d
		s.dupOrder = append(s.dupOrder, k)
	}
	d.At = append(d.At, s.place(n))
}

// result returns the seats, or the problems or duplicates as bad_request.
func (s *seatCheck) result() ([]boxoffice.Seat, error) {
	if s.nProblem > 0 {
		msg := s.problems[0]
		if s.nProblem > 1 {
			msg += fmt.Sprintf(" (%d seats have problems; \"problems\" lists the first %d)", s.nProblem, len(s.problems))
		}
		return nil, boxoffice.Errorf(boxoffice.EINVALID, "%s", msg).
			With("problems", s.problems).With("problem_count", s.nProblem)
	}
	if len(s.dupOrder) > 0 {
		list := make([]*duplicate, 0, min(len(s.dupOrder), maxDuplicates))
		for _, k := range s.dupOrder[:cap(list)] {
			list = append(list, s.dups[k])
		}
		d := list[0]
		return nil, boxoffice.Errorf(boxoffice.EINVALID,
			"%d places are named more than once, e.g. section %q row %q number %d at %s",
			len(s.dupOrder), d.Section, d.Row, d.Number, strings.Join(d.At, " and ")).
			With("duplicates", list).With("duplicate_count", len(s.dupOrder))
	}
	return s.seats, nil
}
