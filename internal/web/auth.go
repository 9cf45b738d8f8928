package web

import (
	"log/slog"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/auth"
	"boxoffice/internal/boxoffice"
)

const claimsKey = "boxoffice.claims"

// RequireRole admits requests with a valid bearer token of the role:
// 401 without a valid token, 403 with another role.
func RequireRole(keys *auth.Keys, log *slog.Logger, role string) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			Error(c, log, boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "missing bearer token"))
			return
		}
		claims, err := keys.Verify(token, time.Now())
		if err != nil {
			Error(c, log, err)
			return
		}
		if claims.Role != role {
			Error(c, log, boxoffice.Errorf(boxoffice.EFORBIDDEN, "this needs the %s role", role))
			return
		}
		c.Set(claimsKey, claims)
		c.Next()
	}
}

// Claims returns the verified claims of the request, or nil.
func Claims(c *gin.Context) *auth.Claims {
	v, _ := c.Get(claimsKey)
	claims, _ := v.(*auth.Claims)
	return claims
}
