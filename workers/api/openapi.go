package api

import (
	_ "embed"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/web"
)

// openAPI is the OpenAPI 3.1 document of the whole HTTP API: the api
// daemon's routes and the edge's hot path. openapi_test.go checks it
// against Router.
//
//go:embed openapi.json
var openAPI []byte

// openAPIETag is the document's strong validator, fixed at build time.
var openAPIETag = web.ETag(openAPI)

// openAPIMaxAge is how long clients may keep the document, in seconds.
const openAPIMaxAge = 60

// serveOpenAPI answers GET /api/openapi.json, or 304 when If-None-Match
// names the document's ETag.
func serveOpenAPI(c *gin.Context) {
	web.Cached(c, openAPIMaxAge, openAPIETag, openAPI)
}
