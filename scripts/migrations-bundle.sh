#!/usr/bin/env bash
# Builds PSM's migration bundle: one executable that brings a database to this version's schema, for production, where
# instances start with Database:MigrateOnStart=false and never change the schema themselves (docs/operations.md).
#   scripts/migrations-bundle.sh [--provider postgres|sqlite] [--output FILE] [--no-build]
# Then, before starting the new version's instances:
#   FILE --connection "Host=db.internal;Database=psm;Username=psm_owner;Password=..."
# The bundle applies only what is missing, holds EF Core's migration lock while it does, and says "already up to date"
# when there is nothing to do. It needs the .NET runtime on the machine that runs it (not the SDK).
set -euo pipefail
cd "$(dirname "$0")/.."
provider=postgres
output=""
build=""
while [ $# -gt 0 ]; do
  case "$1" in
    --provider) provider="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    --no-build) build="--no-build"; shift ;; # uses the Release build already made (test.sh builds first)
    *) echo "usage: scripts/migrations-bundle.sh [--provider postgres|sqlite] [--output FILE] [--no-build]"; exit 2 ;;
  esac
done
case "$provider" in
  postgres) context=PostgresPsmDb ;;
  sqlite) context=SqlitePsmDb ;;
  *) echo "--provider must be postgres or sqlite, not '$provider'"; exit 2 ;;
esac
output="${output:-artifacts/psm-migrate-$provider}"
mkdir -p "$(dirname "$output")"
dotnet tool restore >/dev/null
dotnet ef migrations bundle --project src/Psm.Web --context "$context" --configuration Release $build \
  --output "$output" --force >"$output.log" 2>&1 || { cat "$output.log"; exit 1; }
echo "Migration bundle for $provider: $output"
