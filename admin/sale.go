package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/integrity"
	"boxoffice/internal/mysql"
	"boxoffice/internal/sale"
	"boxoffice/internal/web"
)

// mountSale registers the session actions that move a sale along and its
// live stats.
func (a *API) mountSale(g *gin.RouterGroup) {
	g.POST("/sessions/:id/arm", a.arm)
	g.POST("/sessions/:id/open", a.transition(boxoffice.SessionArmed, boxoffice.SessionOnSale))
	g.POST("/sessions/:id/close", a.transition(boxoffice.SessionOnSale, boxoffice.SessionClosed))
	g.GET("/sessions/:id/stats", a.stats)
	g.GET("/sessions/:id/dashboard", a.dashboard)
	g.DELETE("/sessions/:id/conflicts/:seat_id", a.clearConflict)
}

// arm loads the session into the sale Redis: RESERVING → ARMED, or a re-arm
// of an ARMED session. The session is ARMED in MySQL first, which freezes
// its seat map and tiers, then built in the sale Redis, unless the sale
// Redis has it ON_SALE or CLOSED already (409: an open or close whose
// MySQL write failed; repeating it fixes MySQL).
func (a *API) arm(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := web.ID(c, "id")
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	err = sale.CheckArmable(ctx, a.Sale, id)
	var plan *boxoffice.ArmPlan
	if err == nil {
		plan, err = mysql.ArmSession(ctx, a.DB, id)
	}
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	// A failure here leaves the session ARMED in MySQL with the sale Redis
	// as it was; arming again (allowed from ARMED) finishes the job.
	armed, err := sale.Arm(ctx, a.Sale, plan, a.BloomFP)
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	a.invalidate(c, sessionChange(&plan.Session))
	a.Log.Info("armed", "session", id, "seats", armed.Seats, "reserved", armed.Reserved, "took", armed.Took)
	c.JSON(http.StatusOK, gin.H{"session_id": id, "state": boxoffice.SessionArmed, "arm": armed,
		"took_ms": armed.Took.Milliseconds()})
}

// transition moves an armed session from one sale state to the next: the
// sale Redis first (it is what the edge obeys), then MySQL. A failure
// between them leaves MySQL at from, so repeating the call finishes it;
// meanwhile arm refuses the session (sale.Arm checks the sale Redis).
func (a *API) transition(from, to string) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		id, err := web.ID(c, "id")
		if err != nil {
			web.Error(c, a.Log, err)
			return
		}
		s, err := mysql.GetSession(ctx, a.DB, id)
		if err == nil {
			err = mysql.WantState(s.State, from)
		}
		if err == nil {
			err = sale.SetState(ctx, a.Sale, id, to)
		}
		if err == nil {
			err = mysql.SetSessionState(ctx, a.DB, id, to, from)
		}
		if err != nil {
			web.Error(c, a.Log, err)
			return
		}
		a.invalidate(c, sessionChange(s))
		c.JSON(http.StatusOK, gin.H{"session_id": id, "state": to})
	}
}

func (a *API) stats(c *gin.Context) {
	id, err := web.ID(c, "id")
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	st, err := sale.LiveStats(c.Request.Context(), a.Sale, id)
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, st)
}

// clearConflict puts a seat kept out of sale by a conflict back on sale.
func (a *API) clearConflict(c *gin.Context) {
	id, err := web.ID(c, "id")
	var seat int64
	if err == nil {
		seat, err = web.ID(c, "seat_id")
	}
	if err == nil {
		err = integrity.Clear(c.Request.Context(), a.DB, a.Sale, id, seat)
	}
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	a.Log.Info("seat conflict cleared", "session", id, "seat", seat)
	c.JSON(http.StatusOK, gin.H{"session_id": id, "seat_id": seat})
}
