#!/usr/bin/env bash
# Installs boxoffice for systemd: the binary (the buyer app and the admin
# panel are inside it), the edge's Lua files, the units and the env files
# (never overwriting an existing one).
set -euo pipefail

usage() {
	cat <<'USAGE'
usage: docker/install.sh [--help]   (run by 'make install')

Installs bin/boxoffice and the edge's Lua files under
$PREFIX (default /usr/local), the systemd units under $UNITDIR (default
/etc/systemd/system) and boxoffice.env and secrets.env under
$SYSCONFDIR/boxoffice (default /etc), all below $DESTDIR if set. Run as
root into the system's unit folder, it also creates the boxoffice system
user and reloads systemd. Existing env files are kept.
USAGE
}
case "${1:-}" in -h | --help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

PREFIX=${PREFIX:-/usr/local}
SYSCONFDIR=${SYSCONFDIR:-/etc}
UNITDIR=${UNITDIR:-/etc/systemd/system}
DESTDIR=${DESTDIR:-}
share=$DESTDIR$PREFIX/share/boxoffice
etc=$DESTDIR$SYSCONFDIR/boxoffice
here=$(cd "$(dirname "$0")/.." && pwd)

# paths rewrites the units' and env file's default paths for this install.
paths() { sed -e "s|/usr/local|$PREFIX|g" -e "s|/etc/boxoffice|$SYSCONFDIR/boxoffice|g" "$@"; }

echo "installing the binary in $DESTDIR$PREFIX/bin"
install -D -m 0755 "$here/bin/boxoffice" "$DESTDIR$PREFIX/bin/boxoffice"

echo "installing the edge's Lua files in $share"
rm -rf "$share/lua"
mkdir -p "$share/lua"
cp -r "$here/lua/boxoffice" "$here/lua/redis" "$share/lua/"

echo "installing the systemd units in $DESTDIR$UNITDIR"
mkdir -p "$DESTDIR$UNITDIR/boxoffice-.service.d"
for f in "$here"/docker/systemd/*.service "$here"/docker/systemd/*.target; do
	paths "$f" >"$DESTDIR$UNITDIR/$(basename "$f")"
done
paths "$here/docker/systemd/boxoffice-.service.d/10-common.conf" >"$DESTDIR$UNITDIR/boxoffice-.service.d/10-common.conf"

mkdir -p "$etc"
if [ ! -e "$etc/boxoffice.env" ]; then
	echo "writing $etc/boxoffice.env: edit it for this host"
	paths "$here/docker/systemd/boxoffice.env" >"$etc/boxoffice.env"
fi
if [ ! -e "$etc/secrets.env" ]; then
	echo "writing $etc/secrets.env (mode 0600): fill in the secrets"
	install -m 0600 "$here/docker/systemd/secrets.env" "$etc/secrets.env"
fi

# Into the system's own unit folder, as root: the user and a daemon reload.
case "$DESTDIR$UNITDIR" in /etc/systemd/system | /lib/systemd/system | /usr/lib/systemd/system) system=1 ;; *) system= ;; esac
if [ -n "$system" ] && [ "$(id -u)" = 0 ]; then
	id boxoffice >/dev/null 2>&1 ||
		useradd --system --home-dir /var/lib/boxoffice --no-create-home --shell /usr/sbin/nologin boxoffice
	[ -d /run/systemd/system ] && systemctl daemon-reload
fi
echo "done: check the settings with '$PREFIX/bin/boxoffice config check $SYSCONFDIR/boxoffice/boxoffice.env $SYSCONFDIR/boxoffice/secrets.env',"
echo "then start everything with 'systemctl enable --now boxoffice.target'"
