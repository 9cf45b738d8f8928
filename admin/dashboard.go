package admin

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/mysql"
	"boxoffice/internal/sale"
	"boxoffice/internal/web"
)

// Dashboard window: the last minute of complete seconds (every edge has
// added a second's grab counts about two seconds after it ends).
const (
	grabWindow = 60 * time.Second
	grabSettle = 2 * time.Second
	// auditEvery bounds how often one api process recounts a session's seat
	// map for the integrity alarms, however many panels watch it.
	auditEvery = 5 * time.Second
)

// dashboard is everything the live sale view shows, in one answer.
type dashboard struct {
	At     time.Time        `json:"at"`
	Stats  *sale.Stats      `json:"stats"`
	Grabs  *sale.GrabSeries `json:"grabs"`
	Holds  int64            `json:"holds"`
	Lag    *mysql.SaleLag   `json:"lag"`
	Alarms []string         `json:"alarms"`
}

// audits keeps each session's last integrity check for auditEvery.
type audits struct {
	mu   sync.Mutex
	last map[int64]auditResult
}

type auditResult struct {
	at       time.Time
	problems []string
}

// problems returns the session's audit, recounting at most once per
// auditEvery.
func (a *audits) problems(ctx context.Context, id int64, now time.Time, run func() ([]string, error)) ([]string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r, ok := a.last[id]; ok && now.Sub(r.at) < auditEvery {
		return r.problems, nil
	}
	p, err := run()
	if err != nil {
		return nil, err
	}
	if a.last == nil {
		a.last = map[int64]auditResult{}
	}
	for sid, r := range a.last { // forget sessions no panel watches any more
		if now.Sub(r.at) >= auditEvery {
			delete(a.last, sid)
		}
	}
	a.last[id] = auditResult{at: now, problems: p}
	return p, nil
}

func (a *API) dashboard(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := web.ID(c, "id")
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	d, err := a.readDashboard(ctx, id, time.Now())
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, d)
}

func (a *API) readDashboard(ctx context.Context, id int64, now time.Time) (*dashboard, error) {
	d := &dashboard{At: now.UTC(), Alarms: []string{}}
	var err error
	if d.Stats, err = sale.LiveStats(ctx, a.Sale, id); err != nil {
		return nil, err
	}
	end := now.Add(-grabSettle)
	if d.Grabs, err = sale.GrabCounts(ctx, a.Sale, id, end.Add(-grabWindow), end); err != nil {
		return nil, err
	}
	if d.Holds, err = sale.HoldsMade(ctx, a.Sale, id); err != nil {
		return nil, err
	}
	if d.Lag, err = mysql.SessionLag(ctx, a.DB, id, now); err != nil {
		return nil, err
	}
	problems, err := a.audits.problems(ctx, id, now, func() ([]string, error) { return sale.Audit(ctx, a.Sale, id) })
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		d.Alarms = append(d.Alarms, "seat counters disagree with the seats: "+p)
	}
	for _, c := range d.Stats.Conflicts {
		d.Alarms = append(d.Alarms, fmt.Sprintf("seat %d is kept out of sale (%s, order %s): %s",
			c.SeatID, c.Kind, c.OrderNo, c.Detail))
	}
	refunds, err := mysql.RefundCount(ctx, a.DB, id)
	if err != nil {
		return nil, err
	}
	if refunds > 0 {
		d.Alarms = append(d.Alarms, fmt.Sprintf("%d orders are flagged for refund", refunds))
	}
	mem, err := sale.ReadMemory(ctx, a.Sale)
	if err != nil {
		return nil, err
	}
	d.Alarms = append(d.Alarms, mem.Alarms()...)
	return d, nil
}
