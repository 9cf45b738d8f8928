// Package api is the api daemon: the public and admin HTTP API behind the edge.
package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
	"boxoffice/internal/mysql"
	"boxoffice/internal/redis"
)

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

	d := &daemon.Daemon{
		Name: "api", Addr: cfg.APIAddr, Log: log, Registry: daemon.NewRegistry(),
		CheckTimeout: cfg.DepTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
		Checks: []daemon.Check{
			{Name: "mysql", Ping: mysql.Ping(db)},
			{Name: "sale_redis", Ping: redis.Ping(sale)},
			{Name: "cache_redis", Ping: redis.Ping(cache)},
		},
		Handler: router(),
	}
	return d.Run()
}

func router() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery())
	r.NoRoute(func(c *gin.Context) {
		c.JSON(http.StatusNotFound, gin.H{"error": "not_found", "message": "no such route: " + c.Request.Method + " " + c.Request.URL.Path})
	})
	return r
}
