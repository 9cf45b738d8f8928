package admin

import "github.com/gin-gonic/gin"

// mountCatalog registers the catalog routes.
func (a *API) mountCatalog(g *gin.RouterGroup) {}
