# boxoffice: `make up` starts the whole stack with demo data; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

BIN := bin/boxoffice
GO  ?= go
# Race-detecting test binaries otherwise sleep 1 s as they exit, each.
export GORACE ?= atexit_sleep_ms=0

# Debian packages the stack and the tests need (fonts-wqy-microhei: Chinese
# text in the browser tests and screenshots).
APT_PACKAGES := nginx libnginx-mod-http-lua \
	lua-resty-core lua-resty-lrucache lua-nginx-redis lua-nginx-string \
	lua-cjson lua-luaossl luajit2 lua-busted lua-check \
	redis-server redis-tools mariadb-server mariadb-client curl ca-certificates \
	chromium fonts-dejavu-core fonts-wqy-microhei nodejs systemd docker-compose

# stack_env is the settings of a stack in .run/$(1) on the dev ports + $(2).
port = 127.0.0.1:$(shell echo $$(($(1) + $(2))))
stack_env = BOXOFFICE_RUN_DIR=$(CURDIR)/.run/$(1) BOXOFFICE_PUBLIC_URL=http://$(call port,8080,$(2)) \
	BOXOFFICE_EDGE_ADDR=$(call port,8080,$(2)) BOXOFFICE_API_ADDR=$(call port,8081,$(2)) \
	BOXOFFICE_NOTIFY_ADDR=$(call port,8082,$(2)) BOXOFFICE_PAYGW_ADDR=$(call port,8083,$(2)) \
	BOXOFFICE_RELAY_ADDR=$(call port,8084,$(2)) BOXOFFICE_ORDERS_ADDR=$(call port,8085,$(2)) \
	BOXOFFICE_TIMEOUTS_ADDR=$(call port,8086,$(2)) BOXOFFICE_DEVKAFKA_ADDR=$(call port,8087,$(2)) \
	BOXOFFICE_SALE_REDIS_ADDR=$(call port,6390,$(2)) BOXOFFICE_CACHE_REDIS_ADDR=$(call port,6391,$(2)) \
	BOXOFFICE_MYSQL_ADDR=$(call port,3307,$(2)) BOXOFFICE_KAFKA_BROKERS=$(call port,19092,$(2)) \
	BOXOFFICE_PAYGW_URL=http://$(call port,8083,$(2))

# The test stack (ports +10000) and the fault suite's stack (ports +5000):
# their own run folders and ports, so tests never touch the dev stack.
TEST_SETTINGS := BOXOFFICE_EDGE_WORKERS=2 BOXOFFICE_EDGE_REAL_IP_FROM=127.0.0.1/32 \
	BOXOFFICE_RECONCILE_GRACE=3s BOXOFFICE_RECONCILE_INTERVAL=1s BOXOFFICE_SWEEP_INTERVAL=2s \
	BOXOFFICE_PAYGW_RETRY_BASE=100ms
TEST_ENV := $(call stack_env,test,10000) $(TEST_SETTINGS)
FAULT_ENV := $(call stack_env,faults,5000) $(TEST_SETTINGS)

# cluster_env is the settings $(1) with every port moved by 500 and the
# run folder .run/$(2); its sale Redis is a cluster of three masters on the
# sale Redis port of $(1) + 510, 511 and 512.
cluster_env = $(shell echo '$(1)' | perl -pe 's/(127\.0\.0\.1:)(\d+)/$$1.($$2+500)/ge; s{/\.run/\w+}{/.run/$(2)}') \
	BOXOFFICE_SALE_REDIS_CLUSTER=$(shell echo '$(1)' | perl -ne '/BOXOFFICE_SALE_REDIS_ADDR=127\.0\.0\.1:(\d+)/ and print join ",", map {"127.0.0.1:".($$1+$$_)} 510..512')

# The cluster stack: the test stack's, on a cluster.
CLUSTER_ENV = $(call cluster_env,$(TEST_ENV),cluster)

# The bench stack: its own run folder and ports (all below 32768, where the
# kernel's ports for outgoing connections begin). Its edge trusts
# X-Forwarded-For from 127.0.0.1, so the per-IP limit sees each bench buyer
# as a client of its own, and has a sale-Redis pool per worker for the
# bench's 1,000 connections over its 2 workers.
BENCH_ENV := $(call stack_env,bench,12000) BOXOFFICE_EDGE_REAL_IP_FROM=127.0.0.1/32 BOXOFFICE_EDGE_REDIS_POOL=512
# The bench's cluster stack, for the multi mix: the bench stack's, on a cluster.
BENCH_CLUSTER_ENV = $(call cluster_env,$(BENCH_ENV),benchcluster)
# BENCH_ARGS are boxoffice bench's flags: make bench BENCH_ARGS="--seats 1000 --duration 2s"
BENCH_ARGS ?=

# stack_run runs $(2) with the stack of settings $(1) up: unless it runs,
# it starts the stack (afresh, with no data of an earlier run, when no part
# of it runs) and stops it after.
define stack_run
	export $(1); mkdir -p $$BOXOFFICE_RUN_DIR; \
	if $(BIN) dev status | grep -q stopped; then started=1; else started=0; fi; \
	$(BIN) dev status | awk 'NR > 1 && $$3 != "-" { up = 1 } END { exit up }' && rm -rf "$$BOXOFFICE_RUN_DIR"/*; \
	echo "starting the stack in $$BOXOFFICE_RUN_DIR (log: $$BOXOFFICE_RUN_DIR/up.log)"; \
	$(BIN) dev up > $$BOXOFFICE_RUN_DIR/up.log 2>&1 || { cat $$BOXOFFICE_RUN_DIR/up.log; [ $$started = 0 ] || $(BIN) dev down; exit 1; }; \
	status=0; $(2) || status=$$?; \
	[ $$started = 0 ] || $(BIN) dev down >/dev/null; exit $$status
endef
with_stack = @$(call stack_run,$(1),$(2))

.PHONY: help deps build install up down status test vet unit lua js integration test-faults test-up test-env test-run test-cluster cluster-env bench bench-arm bench-soldout bench-hold clean

help:
	@echo "make up      install what is missing, start the stack with demo data"
	@echo "make down    stop everything 'make up' started"
	@echo "make status  show what runs"
	@echo "make test    vet, unit, Lua, JavaScript and integration tests, then the fault suite"
	@echo "make bench   grabs per second: the edge against the limit and a conventional design"
	@echo "make test-faults  the fault suite alone: kill and restart each part under load"

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
	@$(BENCH_ENV) $(BIN) dev down
	@$(FAULT_ENV) $(BIN) dev down
	@$(CLUSTER_ENV) $(BIN) dev down
	@$(BENCH_CLUSTER_ENV) $(BIN) dev down

status:
	@[ -x $(BIN) ] || $(GO) build -o $(BIN) .
	@$(BIN) dev status

# integration runs every Go test, unit tests included, against the test
# stack; test-faults then runs the fault suite on a stack of its own.
test: deps build vet lua js integration test-cluster test-faults

vet:
	$(GO) vet -tags integration,faults,cluster ./...

# unit runs only the tests that need no servers.
unit:
	$(GO) test -race -count=1 ./...

lua:
	cd lua && luacheck -q .
	cd lua && busted --lua=luajit -o utfTerminal

# js runs the admin panel's unit tests (its browser tests are Go integration tests).
js:
	node --test admin/panel/test/

# integration starts the test stack unless it runs, and stops it after if it
# started it. The packages are compiled first on every core: the tests run
# one package at a time (-p 1), and so would their builds.
integration: build
	$(GO) build -race -tags integration ./...
	$(call with_stack,$(TEST_ENV),$(GO) test -race -count=1 -tags integration -p 1 ./...)

# test-faults starts the fault suite's own stack, runs the suite (it kills
# and restarts each part under load, checking the invariants after each)
# and stops the stack, whatever the outcome.
test-faults: build
	@export $(FAULT_ENV); mkdir -p .run/faults; trap '$(BIN) dev down >/dev/null' EXIT; \
	echo "starting the fault stack (log: .run/faults/up.log)"; \
	$(BIN) dev up > .run/faults/up.log 2>&1 || { cat .run/faults/up.log; exit 1; }; \
	$(GO) test -count=1 -tags faults -timeout 15m -v -run TestFaults ./internal/faults/

# test-up starts (or refreshes) the test stack; test-run runs Go tests against it:
#   make test-run PKG=./admin/... RUN=TestVenues
test-up: build
	@export $(TEST_ENV); $(BIN) dev up

# test-env prints the test stack's settings: eval "$$(make -s test-env)"
test-env:
	@for kv in $(TEST_ENV); do echo "export $$kv"; done

# test-cluster runs the cluster tests on the cluster stack (CLUSTER_ENV),
# started for them unless it runs, and stopped after.
test-cluster: build
	$(call with_stack,$(CLUSTER_ENV),$(GO) test -race -count=1 -tags cluster -timeout 5m ./internal/clustertest/)

# cluster-env prints the cluster stack's settings: eval "$$(make -s cluster-env)"
cluster-env:
	@for kv in $(CLUSTER_ENV); do echo "export $$kv"; done

# Packages run one at a time (-p 1): they share the one test stack, and
# some stop or pause a part of it.
test-run:
	@export $(TEST_ENV); $(GO) test -race -count=1 -tags integration -p 1 $(if $(RUN),-run '$(RUN)') $(or $(PKG),./...)

# bench runs boxoffice bench on a stack of its own (BENCH_ENV) and, for the
# multi mix, on a second one whose sale Redis is a cluster
# (BENCH_CLUSTER_ENV), each started for it unless it runs, and stopped after.
bench: build
	@mkdir -p .run; for kv in $(BENCH_CLUSTER_ENV); do echo "$$kv"; done > .run/benchcluster.env
	$(call with_stack,$(BENCH_CLUSTER_ENV),(unset BOXOFFICE_SALE_REDIS_CLUSTER; \
		$(call stack_run,$(BENCH_ENV),$(BIN) bench --cluster-env .run/benchcluster.env $(BENCH_ARGS))))

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
