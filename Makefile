# boxoffice: `make up` starts the whole stack with demo data; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

BIN := bin/boxoffice
GO  ?= go

# Debian packages the stack and the tests need.
APT_PACKAGES := nginx libnginx-mod-http-lua \
	lua-resty-core lua-resty-lrucache lua-nginx-redis lua-nginx-string \
	lua-cjson lua-luaossl luajit2 lua-busted lua-check \
	redis-server redis-tools mariadb-server mariadb-client curl ca-certificates \
	chromium fonts-dejavu-core nodejs systemd docker-compose

# The test stack: its own run folder and ports, so tests never touch the dev stack.
TEST_ENV := BOXOFFICE_RUN_DIR=$(CURDIR)/.run/test BOXOFFICE_PUBLIC_URL=http://127.0.0.1:18080 \
	BOXOFFICE_EDGE_ADDR=127.0.0.1:18080 BOXOFFICE_API_ADDR=127.0.0.1:18081 \
	BOXOFFICE_NOTIFY_ADDR=127.0.0.1:18082 BOXOFFICE_PAYGW_ADDR=127.0.0.1:18083 \
	BOXOFFICE_RELAY_ADDR=127.0.0.1:18084 BOXOFFICE_ORDERS_ADDR=127.0.0.1:18085 \
	BOXOFFICE_TIMEOUTS_ADDR=127.0.0.1:18086 BOXOFFICE_DEVKAFKA_ADDR=127.0.0.1:18087 \
	BOXOFFICE_SALE_REDIS_ADDR=127.0.0.1:16390 BOXOFFICE_CACHE_REDIS_ADDR=127.0.0.1:16391 \
	BOXOFFICE_MYSQL_ADDR=127.0.0.1:13307 BOXOFFICE_KAFKA_BROKERS=127.0.0.1:29092 \
	BOXOFFICE_EDGE_WORKERS=2 BOXOFFICE_EDGE_REAL_IP_FROM=127.0.0.1/32 \
	BOXOFFICE_PAYGW_URL=http://127.0.0.1:18083 BOXOFFICE_RECONCILE_GRACE=3s \
	BOXOFFICE_RECONCILE_INTERVAL=1s BOXOFFICE_SWEEP_INTERVAL=2s BOXOFFICE_PAYGW_RETRY_BASE=100ms

.PHONY: help deps build install up down status test vet unit lua js integration test-up test-env test-run bench-arm bench-soldout bench-hold clean

help:
	@echo "make up      install what is missing, start the stack with demo data"
	@echo "make down    stop everything 'make up' started"
	@echo "make status  show what runs"
	@echo "make test    vet, unit, Lua, JavaScript and integration tests"

# deps installs missing Debian packages without starting their system services.
deps:
	@command -v $(GO) >/dev/null || { echo "Go 1.26+ is required: https://go.dev/dl/"; exit 1; }
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		guard=; if [ ! -e /usr/sbin/policy-rc.d ]; then guard=1; \
			printf '#!/bin/sh\nexit 101\n' | $$sudo tee /usr/sbin/policy-rc.d >/dev/null; $$sudo chmod +x /usr/sbin/policy-rc.d; fi; \
		$$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing; \
		status=$$?; [ -z "$$guard" ] || $$sudo rm -f /usr/sbin/policy-rc.d; exit $$status; \
	fi

build:
	$(GO) build -o $(BIN) .

# install puts the binary, the edge's files, the systemd units and the env
# files in place (PREFIX, SYSCONFDIR, UNITDIR, DESTDIR: see docker/install.sh).
install: build
	@docker/install.sh

up: deps build
	@$(BIN) dev up

down:
	@[ -x $(BIN) ] || $(GO) build -o $(BIN) .
	@$(BIN) dev down
	@$(TEST_ENV) $(BIN) dev down

status:
	@[ -x $(BIN) ] || $(GO) build -o $(BIN) .
	@$(BIN) dev status

# integration runs every Go test, unit tests included, against the test stack.
test: deps build vet lua js integration

vet:
	$(GO) vet -tags integration ./...

# unit runs only the tests that need no servers.
unit:
	$(GO) test -race -count=1 ./...

lua:
	cd lua && luacheck -q .
	cd lua && busted --lua=luajit -o utfTerminal

# js runs the admin panel's unit tests (its browser tests are Go integration tests).
js:
	node --test admin/panel/test/

# integration starts the test stack unless it runs, and stops it after if it started it.
integration: build
	@export $(TEST_ENV); mkdir -p .run/test; \
	if $(BIN) dev status | grep -q stopped; then started=1; else started=0; fi; \
	echo "starting the test stack (log: .run/test/up.log)"; \
	$(BIN) dev up > .run/test/up.log 2>&1 || { cat .run/test/up.log; [ $$started = 0 ] || $(BIN) dev down; exit 1; }; \
	status=0; $(GO) test -race -count=1 -tags integration -p 1 ./... || status=$$?; \
	[ $$started = 0 ] || $(BIN) dev down >/dev/null; exit $$status

# test-up starts (or refreshes) the test stack; test-run runs Go tests against it:
#   make test-run PKG=./admin/... RUN=TestVenues
test-up: build
	@export $(TEST_ENV); $(BIN) dev up

# test-env prints the test stack's settings: eval "$$(make -s test-env)"
test-env:
	@for kv in $(TEST_ENV); do echo "export $$kv"; done

test-run:
	@export $(TEST_ENV); $(GO) test -race -count=1 -tags integration $(if $(RUN),-run '$(RUN)') $(or $(PKG),./...)

# bench-soldout times grabs of a sold-out session through the edge.
bench-soldout: test-up
	@export $(TEST_ENV); $(GO) test -tags integration -run '^$$' -bench BenchmarkSoldOutFlood -benchtime 20000x -count 3 ./openresty/

# bench-arm times arming a 50,000-seat session with 500,000 reservations.
bench-arm: test-up
	@export $(TEST_ENV); $(GO) test -tags integration -run '^$$' -bench BenchmarkArm -benchtime 3x ./admin/

# bench-hold measures hold.lua calls per second with appendfsync everysec
# and always, on a Redis of its own.
bench-hold:
	@./internal/bench/hold.sh

clean: down
	rm -rf bin .run
