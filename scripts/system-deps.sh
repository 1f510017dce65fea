#!/usr/bin/env bash
# Debian/Ubuntu packages that `make run` / `make test` need and pip cannot provide.
#   system-deps.sh run    python3-venv
#   system-deps.sh test   + PostgreSQL server with PostGIS 3, Chromium (browser tests),
#                           redis-server (the scaling tests: shared sign-in limits, sessions)
# Installs only what is missing, as root or through passwordless sudo, with apt-get. When
# another apt or dpkg holds the lock (unattended upgrades on a fresh machine), it waits up to
# COMMONGROUND_APT_WAIT seconds (default 600), saying so every 30 s.
# It exits non-zero, saying what is missing and how to install it, when a required package is
# still missing at the end, so `make test` never goes green without PostGIS or Chromium.
# Explicit opt-outs (those tests then skip, saying why): COMMONGROUND_SKIP_POSTGIS=1,
# COMMONGROUND_SKIP_BROWSER=1, COMMONGROUND_SKIP_REDIS=1.
set -u
want="${1:-run}"
case "$want" in run | test) ;; *) echo "usage: $0 run|test" >&2; exit 2 ;; esac
wait_max="${COMMONGROUND_APT_WAIT:-600}"
skip_pg="${COMMONGROUND_SKIP_POSTGIS:-0}"
skip_browser="${COMMONGROUND_SKIP_BROWSER:-0}"
skip_redis="${COMMONGROUND_SKIP_REDIS:-0}"
LOCKS=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock
       /var/cache/apt/archives/lock)

say() { echo "system-deps: $*" >&2; }

pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1; }

# What is missing, one name a line: python3-venv, postgresql, postgis, chromium, redis-server.
missing() {
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || echo python3-venv
  [ "$want" = "test" ] || return 0
  local v
  v=$(pg_version)
  if [ -z "$v" ] || [ ! -x "/usr/lib/postgresql/$v/bin/initdb" ]; then echo postgresql; fi
  if [ -z "$v" ] || [ ! -e "/usr/share/postgresql/$v/extension/postgis.control" ]; then
    echo postgis
  fi
  [ -x /usr/bin/chromium ] || echo chromium  # tests/_browser.py drives /usr/bin/chromium
  command -v redis-server >/dev/null 2>&1 || echo redis-server
}

# Missing packages that make the run fail, after the opt-outs.
required() {
  local m
  for m in "$@"; do
    case "$m" in
      postgresql | postgis) [ "$skip_pg" = "1" ] || echo "$m" ;;
      chromium) [ "$skip_browser" = "1" ] || echo "$m" ;;
      redis-server) [ "$skip_redis" = "1" ] || echo "$m" ;;
      *) echo "$m" ;;
    esac
  done
}

fail_missing() {
  say "ERROR: still missing: $*"
  say "  install them as root:  apt-get install python3-venv postgresql" \
      "postgresql-<version>-postgis-3 chromium redis-server"
  if [ "$want" = "test" ]; then
    say "  or opt out explicitly (those tests then skip): COMMONGROUND_SKIP_POSTGIS=1" \
        "COMMONGROUND_SKIP_BROWSER=1 COMMONGROUND_SKIP_REDIS=1"
  fi
  exit 1
}

finish() {
  local still req
  mapfile -t still < <(missing)
  mapfile -t req < <(required "${still[@]+"${still[@]}"}")
  [ "$skip_redis" = "1" ] && [ "$want" = "test" ] && say "Redis tests opted out (COMMONGROUND_SKIP_REDIS=1)"
  [ "$skip_pg" = "1" ] && [ "$want" = "test" ] && say "PostGIS tests opted out (COMMONGROUND_SKIP_POSTGIS=1)"
  [ "$skip_browser" = "1" ] && [ "$want" = "test" ] && say "browser tests opted out (COMMONGROUND_SKIP_BROWSER=1)"
  [ ${#req[@]} -eq 0 ] || fail_missing "${req[@]}"
  exit 0
}

mapfile -t todo < <(missing)
[ ${#todo[@]} -eq 0 ] && finish

if [ "$(id -u)" = "0" ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
  SUDO=(sudo -n)
else
  say "missing ${todo[*]}, and this user can neither install packages (not root, no" \
      "passwordless sudo)"
  finish
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "missing ${todo[*]}, and there is no apt-get here"
  finish
fi

deadline=$(($(date +%s) + wait_max))

# Wait while another process holds an apt/dpkg lock; 1 when the deadline passes first.
wait_for_lock() {
  command -v fuser >/dev/null 2>&1 || return 0  # then apt-get's own lock timeout waits
  local holders now said=0
  while holders=$("${SUDO[@]}" fuser "${LOCKS[@]}" 2>/dev/null | xargs) && [ -n "$holders" ]; do
    now=$(date +%s)
    [ "$now" -ge "$deadline" ] && return 1
    if [ $((now - said)) -ge 30 ]; then
      say "waiting for another apt/dpkg (pid $holders) to release its lock;" \
          "$((deadline - now)) s left (COMMONGROUND_APT_WAIT=$wait_max)"
      said=$now
    fi
    sleep 5
  done
  return 0
}

# apt-get "$@", retried while its failure is a busy lock, until the deadline.
apt_get() {
  local out rc remaining
  while :; do
    wait_for_lock || { say "ERROR: the apt/dpkg lock is still held after ${wait_max} s"; return 1; }
    remaining=$((deadline - $(date +%s)))
    [ "$remaining" -gt 0 ] || remaining=1
    out=$("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq \
          -o "DPkg::Lock::Timeout=$remaining" "$@" 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] && return 0
    if ! grep -qiE 'could not get lock|unable to acquire|is another process using it' <<<"$out" \
        || [ "$(date +%s)" -ge "$deadline" ]; then
      printf '%s\n' "$out" | tail -n 20 >&2
      return "$rc"
    fi
    say "apt-get $1: the lock was taken meanwhile; waiting again"
    sleep 5
  done
}

say "installing ${todo[*]} with apt-get"
apt_get update || say "apt-get update failed; trying the install with the lists there are"
pkgs=()
for m in "${todo[@]}"; do
  case "$m" in
    postgis) ;;  # named after the server's version, known once postgresql is in
    redis-server) ;;  # on its own below: its failure must not block the required ones
    *) pkgs+=("$m") ;;
  esac
done
if [ ${#pkgs[@]} -gt 0 ]; then
  apt_get install -y --no-install-recommends "${pkgs[@]}" \
    || say "apt-get install ${pkgs[*]} failed"
fi
if printf '%s\n' "${todo[@]}" | grep -qx redis-server; then
  apt_get install -y --no-install-recommends redis-server \
    || say "apt-get install redis-server failed"
fi
if printf '%s\n' "${todo[@]}" | grep -qxE 'postgis|postgresql'; then
  v=$(pg_version)
  if [ -n "$v" ]; then
    apt_get install -y --no-install-recommends "postgresql-$v-postgis-3" \
      || say "apt-get install postgresql-$v-postgis-3 failed"
  fi
fi
finish
