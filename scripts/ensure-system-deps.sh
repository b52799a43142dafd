#!/usr/bin/env bash
# Installs the system packages the tests need (Debian's Chromium, redis-server, PostgreSQL) when missing; never downloads a browser of its own.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "ensure-system-deps: installing ${need[*]} with apt-get" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo -n)
  else
    echo "ensure-system-deps: ${need[*]} missing and not root (no sudo). Install them with: apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-deps: ${need[*]} missing and this is not a Debian-like system (no apt-get). Install Chromium at /usr/bin/chromium." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo_cmd[@]}" apt-get update -qq || ! "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
  echo "ensure-system-deps: apt-get could not install ${need[*]}. Install them by hand: apt-get install ${need[*]}" >&2
  exit 1
fi
[ -x /usr/bin/chromium ] || { echo "ensure-system-deps: chromium installed but /usr/bin/chromium is missing" >&2; exit 1; }
echo "ensure-system-deps: done" >&2
