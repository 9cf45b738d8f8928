package devstack

import (
	"fmt"
	"strings"

	"boxoffice/internal/seed"
)

// PrintWelcome prints where the stack answers, its logins and its demo data.
func (s *Stack) PrintWelcome(sum *seed.Summary) {
	c := s.cfg
	edge := strings.TrimRight(c.PublicURL, "/")
	saleRedis := c.SaleRedisAddr
	if len(c.SaleRedisCluster) > 0 {
		saleRedis = "cluster " + strings.Join(c.SaleRedisCluster, ",")
	}
	fmt.Fprintf(s.out, `
boxoffice is up.

  Buy tickets        %[1]s/   (the buyer app; the demo sale: %[1]s/sessions/%[15]d)
  Admin panel        %[1]s/admin/   (log in as the admin below)
  Edge health        %[1]s/healthz
  Public API         %[1]s/api/
  Admin API          %[1]s/admin/api/
  Grab seats         POST %[1]s/api/sale/sessions/{id}/holds   (edge metrics: %[1]s/edge/metrics)
  api daemon         http://%[2]s     /readyz  /metrics
  Payment gateway    %[18]s (mock: confirm payments on its pay page)
  Kafka (dev)        %[3]s
  MariaDB            %[4]s  database %[5]s, user %[6]s
  Sale / cache Redis %[7]s / %[8]s
  Logs               %[9]s/

Logins (password %[10]s, also in %[11]s as BOXOFFICE_DEMO_PASSWORD):
  admin   %[12]s
  buyers  %[13]s

Demo: show %[14]d, session %[15]d on sale (%[16]d seats at venue %[17]d).
Stop everything with: make down
`, edge, c.APIAddr, strings.Join(c.KafkaBrokers, ","), c.MySQLAddr, c.MySQLDatabase, c.MySQLUser,
		saleRedis, c.CacheRedisAddr, s.rel(s.run+"/logs"), c.DemoPassword, s.rel(s.run+"/secrets.env"),
		sum.AdminEmail, strings.Join(sum.BuyerPhones, ", "), sum.ShowID, sum.SessionID, sum.SeatCount, sum.VenueID,
		c.PaygwURL)
}
