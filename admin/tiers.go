package admin

import (
	"context"
	"fmt"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/web"
)

// Bounds of a session's price tiers.
const (
	maxTiers      = 20
	maxPriceCents = 1_000_000_000
)

type tierInput struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
}

// priceTiers reads the session's price tiers, versioned by the session.
func (a *API) priceTiers(ctx context.Context, id int64) (int64, any, error) {
	s, tiers, err := mysql.PriceTiers(ctx, a.DB, id)
	if err != nil {
		return 0, nil, err
	}
	return s.Version, tiersBody(s, tiers), nil
}

// replaceTiers replaces the session's price tiers at the session's version
// and bumps it. Refused once the session is armed.
func (a *API) replaceTiers(c *gin.Context, id, version int64) (int64, any, boxoffice.CatalogChange, error) {
	tiers, err := bindTiers(c)
	if err != nil {
		return 0, nil, noChange, err
	}
	s, stored, err := mysql.ReplacePriceTiers(c.Request.Context(), a.DB, id, version, tiers)
	if err != nil {
		return 0, nil, noChange, err
	}
	return s.Version, tiersBody(s, stored), sessionChange(s), nil
}

func tiersBody(s *boxoffice.Session, tiers []boxoffice.PriceTier) gin.H {
	return gin.H{"session_id": s.ID, "version": s.Version, "tiers": tiers}
}

func bindTiers(c *gin.Context) ([]boxoffice.PriceTier, error) {
	var body struct {
		Tiers []tierInput `json:"tiers"`
	}
	if err := web.BindJSON(c, bodyLimit, &body); err != nil {
		return nil, err
	}
	if n := len(body.Tiers); n < 1 || n > maxTiers {
		return nil, web.Invalid("tiers must list 1 to %d tiers, got %d", maxTiers, n)
	}
	tiers := make([]boxoffice.PriceTier, len(body.Tiers))
	seen := map[string]bool{}
	for i, in := range body.Tiers {
		f := fields{at: fmt.Sprintf("tiers[%d].", i)}
		f.tierCode("code", &in.Code)
		f.text("name", &in.Name, mysql.MaxTierName, true)
		f.between("price_cents", in.PriceCents, 1, maxPriceCents)
		if f.err == nil && seen[in.Code] {
			f.fail("code", "%q is used by an earlier tier", in.Code)
		}
		if f.err != nil {
			return nil, f.err
		}
		seen[in.Code] = true
		tiers[i] = boxoffice.PriceTier{Code: in.Code, Name: in.Name, PriceCents: in.PriceCents}
	}
	return tiers, nil
}
