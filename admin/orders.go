package admin

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/mysql"
	"boxoffice/internal/web"
)

// orderView is an order as the panel sees it: the buyer's view plus who
// bought it and when its row last changed.
type orderView struct {
	web.OrderView
	BuyerID    int64     `json:"buyer_id"`
	BuyerPhone string    `json:"buyer_phone"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func viewOrder(o mysql.AdminOrder) orderView {
	return orderView{OrderView: web.ViewOrder(o.Order), BuyerID: o.BuyerID, BuyerPhone: o.BuyerPhone, UpdatedAt: o.UpdatedAt}
}

func viewOrders(list []mysql.AdminOrder) []orderView {
	out := make([]orderView, len(list))
	for i, o := range list {
		out[i] = viewOrder(o)
	}
	return out
}

// maxFound bounds the orders one search answers.
const maxFound = 100

// mountOrders registers the order lookups: by number or buyer phone, the
// refund worklist, and one order with its items and payments.
func (a *API) mountOrders(g *gin.RouterGroup) {
	g.GET("/orders", a.findOrders)
	g.GET("/orders/refunds", a.refundOrders)
	g.GET("/orders/:no", a.order)
}

func (a *API) findOrders(c *gin.Context) {
	q := strings.TrimSpace(c.Query("q"))
	if q == "" || len(q) > 40 || !utf8.ValidString(q) {
		web.Error(c, a.Log, web.Invalid("q must be an order number or a buyer's phone (1 to 40 characters)"))
		return
	}
	found, err := mysql.FindOrders(c.Request.Context(), a.DB, q, maxFound)
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"items": viewOrders(found)})
}

func (a *API) refundOrders(c *gin.Context) {
	page, err := web.Paging(c)
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	items, total, err := mysql.RefundOrders(c.Request.Context(), a.DB, mysql.Page{Limit: page.PerPage, Offset: page.Offset()})
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, web.List[orderView]{Items: viewOrders(items), Page: page.Page, PerPage: page.PerPage, Total: total})
}

func (a *API) order(c *gin.Context) {
	no := c.Param("no")
	if no == "" || len(no) > 40 {
		web.Error(c, a.Log, web.Invalid("no must be an order number of 1 to 40 characters"))
		return
	}
	o, err := mysql.AdminOrderByNo(c.Request.Context(), a.DB, no)
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, viewOrder(*o))
}
