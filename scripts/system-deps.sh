#!/usr/bin/env bash
# Debian/Ubuntu packages that `make run` / `make test` need and pip cannot provide.
# Installs only what is missing, and only when run as root with apt-get; otherwise it says
# what is missing and carries on (the tests then explain what they skip).
#   system-deps.sh run    python3-venv
#   system-deps.sh test   + PostgreSQL server with PostGIS 3, Chromium (browser tests),
#                           redis-server (shared rate limits and sessions, scaling tests)
set -u
want="${1:-run}"
missing=()

if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=("python3-venv")
fi
if [ "$want" = "test" ]; then
  pgver=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
  if [ -z "$pgver" ] || [ ! -x "/usr/lib/postgresql/$pgver/bin/initdb" ]; then
    missing+=("postgresql")
  fi
  if [ -z "$pgver" ] || ! ls "/usr/share/postgresql/$pgver/extension/postgis.control" >/dev/null 2>&1; then
    missing+=("postgis-for-server")
  fi
  command -v chromium >/dev/null 2>&1 || missing+=("chromium")
  command -v redis-server >/dev/null 2>&1 || missing+=("redis-server")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]}; install them with your package manager (as root):" >&2
  echo "  apt-get install python3-venv postgresql postgresql-<version>-postgis-3 chromium redis-server" >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "system-deps: installing ${missing[*]} with apt-get" >&2
apt-get update -qq || true
pkgs=()
for m in "${missing[@]}"; do
  case "$m" in
    postgresql) pkgs+=("postgresql") ;;
    postgis-for-server) ;;
    *) pkgs+=("$m") ;;
  esac
done
[ ${#pkgs[@]} -gt 0 ] && apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
if printf '%s\n' "${missing[@]}" | grep -q postgis-for-server || printf '%s\n' "${missing[@]}" | grep -qx postgresql; then
  pgver=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
  apt-get install -y -qq --no-install-recommends "postgresql-${pgver}-postgis-3" >/dev/null \
    || echo "system-deps: could not install postgresql-${pgver}-postgis-3" >&2
fi
exit 0
