# The edge: Debian's nginx with the Lua module and the same Lua packages as
# 'make up', the boxoffice binary ('boxoffice edge' renders nginx.conf and
# the buyer app, then becomes nginx), the Lua files and the admin panel.
# Build from the repository root: docker build -f docker/edge.Dockerfile .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /boxoffice .

FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends nginx libnginx-mod-http-lua \
    lua-resty-core lua-resty-lrucache lua-nginx-redis lua-nginx-string lua-cjson curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/boxoffice --create-home boxoffice
COPY --from=build /boxoffice /usr/local/bin/boxoffice
COPY lua/boxoffice /usr/local/share/boxoffice/lua/boxoffice
COPY lua/redis /usr/local/share/boxoffice/lua/redis
COPY admin/panel /usr/local/share/boxoffice/panel
USER boxoffice
WORKDIR /var/lib/boxoffice
ENV BOXOFFICE_RUN_DIR=/var/lib/boxoffice \
    BOXOFFICE_LUA_DIR=/usr/local/share/boxoffice/lua \
    BOXOFFICE_PANEL_DIR=/usr/local/share/boxoffice/panel
ENTRYPOINT ["/usr/local/bin/boxoffice", "edge"]
