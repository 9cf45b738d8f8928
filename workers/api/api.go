// Package api is the api daemon: the public and admin HTTP API behind the edge.
package api

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/admin"
	"boxoffice/internal/auth"
	"boxoffice/internal/catalog"
	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
	"boxoffice/internal/mysql"
	"boxoffice/internal/payments"
	"boxoffice/internal/redis"
	"boxoffice/internal/web"
)

// Server holds what the API's handlers share.
type Server struct {
	Log   *slog.Logger
	DB    *sqlx.DB
	Sale  goredis.UniversalClient
	Cache goredis.UniversalClient
	Keys  *auth.Keys
	Admin *admin.API
	// Catalog serves the public catalog reads (L3 cache) and drops them on admin writes.
	Catalog *catalog.Cache
	// TrustedProxies are the edges whose X-Forwarded-For is believed.
	TrustedProxies []string
	// BuyerLogins throttles failed buyer logins.
	BuyerLogins *redis.LoginGuard
	buyerLogin  *auth.Login
	// Gateway creates payments at the payment gateway.
	Gateway *payments.Gateway
	// PayWindow is how long a buyer has to pay once payment starts.
	PayWindow time.Duration
	// NotifyURL is where the gateway posts its payment notifications.
	NotifyURL string
	// PaySecret is the HMAC key shared with the gateway.
	PaySecret      string
	notifyOutcomes *prometheus.CounterVec
}

// Main serves the API until SIGTERM.
func Main(cfg *config.Config, _ []string) error {
	if err := cfg.Require("BOXOFFICE_MYSQL_PASSWORD", "BOXOFFICE_JWT_SECRET", "BOXOFFICE_PAY_SECRET"); err != nil {
		return err
	}
	log := daemon.NewLogger(cfg.LogLevel, "api")
	db, err := mysql.Open(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	sale, cache := redis.NewSale(cfg), redis.NewCache(cfg)
	defer sale.Close()
	defer cache.Close()
	reg := daemon.NewRegistry()
	s := New(cfg, log, db, sale, cache, reg)
	defer s.Catalog.Close()
	d := &daemon.Daemon{
		Name: "api", Addr: cfg.APIAddr, Log: log, Registry: reg,
		CheckTimeout: cfg.DepTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
		Checks: []daemon.Check{
			{Name: "mysql", Ping: mysql.Ping(db)},
			{Name: "sale_redis", Ping: redis.Ping(sale)},
			{Name: "cache_redis", Ping: redis.Ping(cache)},
		},
		Handler: s.Router(),
	}
	return d.Run()
}

// New wires the handlers; their metrics go to reg.
func New(cfg *config.Config, log *slog.Logger, db *sqlx.DB, sale, cache goredis.UniversalClient, reg prometheus.Registerer) *Server {
	keys := auth.NewKeys(cfg)
	s := &Server{Log: log, DB: db, Sale: sale, Cache: cache, Keys: keys, TrustedProxies: cfg.TrustedProxies,
		BuyerLogins: redis.NewLoginGuard(cache, "buyer-login")}
	s.Admin = &admin.API{Log: log, DB: db, Sale: sale, Keys: keys, BloomFP: cfg.BloomFP,
		Logins: redis.NewLoginGuard(cache, "admin-login")}
	s.Catalog = catalog.New(log, db, cache, reg, catalog.Options{})
	s.Admin.Cache = s.Catalog
	s.Gateway = payments.NewGateway(cfg.PaygwURL, cfg.PaySecret, gatewayTimeout)
	s.Gateway.ReturnBase = strings.TrimRight(cfg.PublicURL, "/") + "/orders/" // the buyer app's order page
	s.PayWindow, s.NotifyURL, s.PaySecret = cfg.PayWindow, strings.TrimRight(cfg.PublicURL, "/")+"/api/payments/notify", cfg.PaySecret
	s.notifyOutcomes = newNotifyOutcomes(reg)
	return s
}

// Router returns every API route.
func (s *Server) Router() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	if err := r.SetTrustedProxies(s.TrustedProxies); err != nil {
		panic(err) // the settings were validated
	}
	r.Use(gin.CustomRecovery(func(c *gin.Context, err any) {
		s.Log.Error("panic", "path", c.FullPath(), "err", err)
		web.Error(c, s.Log, fmt.Errorf("panic: %v", err))
	}))
	r.NoRoute(web.NotFound)
	r.NoMethod(web.MethodNotAllowed)
	r.GET("/api/openapi.json", serveOpenAPI)
	s.mountCatalog(r)
	s.mountBuyers(r.Group("/api"))
	s.mountOrders(r.Group("/api"))
	s.Admin.Mount(r.Group("/admin/api"))
	return r
}
