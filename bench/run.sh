#!/usr/bin/env bash
# Runs the benchmarks against SQLite and a throwaway PostgreSQL, and writes docs/benchmarks.md.
# Usage: bench/run.sh [--scale N] [--repeats R]   (defaults: 100 000 rows, median of 3)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/throwaway-postgres.sh
. scripts/throwaway-mail.sh
# The cluster scenarios put HAProxy in front of two instances.
if [ ! -x /usr/sbin/haproxy ]; then
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends haproxy >/dev/null
fi
start_throwaway_postgres
start_throwaway_mail
trap 'stop_throwaway_mail; stop_throwaway_postgres' EXIT
dotnet run -c Release --project bench/Psm.Bench -- all --provider both --write docs/benchmarks.md "$@"
