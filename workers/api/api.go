// Package api is the api daemon: the public and admin HTTP API behind the edge.
package api

import (
	"fmt"
	"log/slog"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/admin"
	"boxoffice/internal/auth"
	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
	"boxoffice/internal/mysql"
	"boxoffice/internal/redis"
	"boxoffice/internal/web"
)

// Server holds what the API's handlers share.
type Server struct {
	Log   *slog.Logger
	DB    *sqlx.DB
	Sale  *goredis.Client
	Cache *goredis.Client
	Keys  *auth.Keys
	Admin *admin.API
}

// Main serves the API until SIGTERM.
func Main(cfg *config.Config, _ []string) error {
	if err := cfg.Require("BOXOFFICE_MYSQL_PASSWORD", "BOXOFFICE_JWT_SECRET"); err != nil {
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
	s := New(log, db, sale, cache, auth.NewKeys(cfg))
	d := &daemon.Daemon{
		Name: "api", Addr: cfg.APIAddr, Log: log, Registry: daemon.NewRegistry(),
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

// New wires the handlers.
func New(log *slog.Logger, db *sqlx.DB, sale, cache *goredis.Client, keys *auth.Keys) *Server {
	s := &Server{Log: log, DB: db, Sale: sale, Cache: cache, Keys: keys}
	s.Admin = &admin.API{Log: log, DB: db, Keys: keys,
		Logins: redis.NewLoginGuard(cache, "admin-login")}
	return s
}

// Router returns every API route.
func (s *Server) Router() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(gin.CustomRecovery(func(c *gin.Context, err any) {
		s.Log.Error("panic", "path", c.FullPath(), "err", err)
		web.Error(c, s.Log, fmt.Errorf("panic: %v", err))
	}))
	r.NoRoute(web.NotFound)
	r.NoMethod(web.MethodNotAllowed)
	s.Admin.Mount(r.Group("/admin/api"))
	return r
}
