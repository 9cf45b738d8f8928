package admin

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/mysql"
	"boxoffice/internal/web"
)

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
	c.JSON(http.StatusOK, gin.H{"items": found})
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
	c.JSON(http.StatusOK, web.List[mysql.AdminOrder]{Items: items, Page: page.Page, PerPage: page.PerPage, Total: total})
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
	c.JSON(http.StatusOK, o)
}
