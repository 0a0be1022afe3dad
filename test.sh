#!/usr/bin/env bash
# Runs every PSM test suite on SQLite and on PostgreSQL and ends with "Tests: N passed, N failed".
# On a fresh Debian machine with the .NET SDK it installs what is missing (chromium, postgresql, postfix,
# dovecot, nodejs, poppler-utils, fonts-dejavu-core, haproxy; Spectral from npm), starts a throwaway PostgreSQL, mail server and OpenID Provider on free loopback ports,
# and stops them at the end.
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
config=Release
results="$root/artifacts/test-results"
rm -rf "$results" "$root/artifacts/screenshots"
mkdir -p "$results" "$root/artifacts/screenshots"

say() { printf '\n== %s\n' "$*"; }

# shellcheck source=scripts/throwaway-postgres.sh
. "$root/scripts/throwaway-postgres.sh"
# shellcheck source=scripts/throwaway-mail.sh
. "$root/scripts/throwaway-mail.sh"

if [ ! -x /usr/bin/chromium ]; then
  say "Installing chromium from Debian's packages"
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null \
    || { echo "Could not install chromium"; exit 1; }
fi
# pdftoppm and pdftotext read the business-review PDF in the browser tests; the PDF is set in DejaVu Sans.
if ! command -v pdftoppm >/dev/null || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  say "Installing poppler-utils and fonts-dejavu-core from Debian's packages"
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends poppler-utils fonts-dejavu-core >/dev/null \
    || { echo "Could not install poppler-utils"; exit 1; }
fi
# HAProxy balances the cluster tests' PSM instances (deploy/haproxy.cfg.template); each test starts its own on loopback.
if [ ! -x /usr/sbin/haproxy ]; then
  say "Installing haproxy from Debian's packages"
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends haproxy >/dev/null \
    || { echo "Could not install haproxy"; exit 1; }
fi
say "PostgreSQL"
start_throwaway_postgres || exit 1
export PSM_TEST_POSTGRES="$PSM_PG_CONNECTION"
start_throwaway_replica || exit 1
export PSM_TEST_POSTGRES_REPLICA="$PSM_PG_REPLICA_CONNECTION"
say "Mail server"
start_throwaway_mail || exit 1
trap 'stop_throwaway_mail; stop_throwaway_postgres' EXIT

# --- a real OpenID Provider (npm oidc-provider) for the single sign-on tests ----------------------
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "Installing nodejs and npm from Debian's packages"
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null \
    || { echo "Could not install nodejs"; exit 1; }
fi
say "OpenID Provider"
(cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || { echo "Could not install tests/oidc"; exit 1; }
oidc_port=""
for candidate in $(seq 55600 55700); do
  if port_free "$candidate"; then oidc_port=$candidate; break; fi
done
node tests/oidc/provider.mjs "$oidc_port" >"$results/oidc-provider.log" 2>&1 &
oidc_pid=$!
trap 'kill $oidc_pid 2>/dev/null; stop_throwaway_mail; stop_throwaway_postgres' EXIT
for _ in $(seq 1 50); do
  port_free "$oidc_port" || break
  sleep 0.2
done
! port_free "$oidc_port" || { cat "$results/oidc-provider.log"; exit 1; }
echo "oidc-provider on 127.0.0.1:$oidc_port"
export PSM_TEST_OIDC="http://127.0.0.1:$oidc_port"

# --- build once, check both providers' migrations ----------------------------------------------
say "Building"
dotnet tool restore >/dev/null || exit 1
dotnet build Psm.slnx -c $config -nologo -clp:ErrorsOnly || exit 1

say "Checking that both providers' migrations match the model"
for context in SqlitePsmDb PostgresPsmDb; do
  dotnet ef migrations has-pending-model-changes --project src/Psm.Web --context "$context" \
    --configuration $config --no-build >"$results/pending-$context.log" 2>&1 \
    || { cat "$results/pending-$context.log"; echo "Tests: 0 passed, 1 failed"; exit 1; }
  tail -n 1 "$results/pending-$context.log"
done

# --- run the suites ---------------------------------------------------------------------------
# One suite at a time: the integration suites keep both cores busy (xUnit runs their classes two at a time), and side
# by side they took longer than one after the other. The browser tests run one at a time: in two lanes they used both
# cores but were flaky on clean runs (2026-12-01).
run_suite() { # project provider
  local project=$1 provider=$2 name log
  name="$(basename "$project")-$provider"
  log="$results/$name.log"
  PSM_TEST_PROVIDER=$provider dotnet test "$project" -c $config --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" >"$log" 2>&1
  echo $? >"$results/$name.code"
}

report_suite() { # project provider; adds to passed/failed
  local name log summary p f code
  name="$(basename "$1")-$2"
  log="$results/$name.log"
  code=$(cat "$results/$name.code" 2>/dev/null || echo 1)
  say "$(basename "$1") on $2"
  # Each failed test with the first lines of its message (an assertion's text is on the lines after "Error Message:").
  grep -E -A6 '^\s+Failed [A-Za-z]' "$log" | grep -vE '^\s+at |^\s+Stack Trace:|^--$' | head -n 60
  summary=$(grep -E '(Passed|Failed)!\s+- Failed:' "$log" | tail -n 1)
  if [ -z "$summary" ]; then
    tail -n 30 "$log"
    broken+=("$name")
    failed=$((failed + 1))
    return
  fi
  echo "$summary"
  p=$(echo "$summary" | sed -E 's/.*Passed:\s+([0-9]+).*/\1/')
  f=$(echo "$summary" | sed -E 's/.*Failed:\s+([0-9]+),.*/\1/')
  passed=$((passed + p))
  failed=$((failed + f))
  [ "$code" -eq 0 ] || [ "$f" -gt 0 ] || { broken+=("$name"); failed=$((failed + 1)); }
}

passed=0
failed=0
broken=()
started=$SECONDS

# --- checks outside the suites: each counts as one test ---------------------------------------------
check() { # name command...: counts one passed or failed test
  local name=$1; shift
  say "$name"
  if "$@" >"$results/check-${name// /-}.log" 2>&1; then
    tail -n 2 "$results/check-${name// /-}.log"; passed=$((passed + 1))
  else
    tail -n 40 "$results/check-${name// /-}.log"; failed=$((failed + 1)); broken+=("$name")
  fi
}

# The API reference as PSM serves it, linted by Spectral's spectral:oas rules: any error or warning fails.
lint_openapi() {
  (cd tests/spectral && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || { echo "Could not install tests/spectral"; return 1; }
  local dir port pid ok=1
  dir=$(mktemp -d)
  for candidate in $(seq 55700 55800); do
    if port_free "$candidate"; then port=$candidate; break; fi
  done
  PSM_ADMIN_EMAIL=lint@psm.example PSM_ADMIN_PASSWORD=Lint-only-password-2026 \
    dotnet src/Psm.Web/bin/$config/net10.0/Psm.Web.dll --urls "http://127.0.0.1:$port" --environment Production --Demo:Seed false \
    --ConnectionStrings:Psm "Data Source=$dir/psm.db" --Sla:MonitorSeconds 0 --Webhooks:PollSeconds 0 >"$dir/app.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/openapi/v1.json" -o "$dir/openapi.json" && { ok=0; break; }
    sleep 0.5
  done
  kill $pid 2>/dev/null; wait $pid 2>/dev/null
  [ $ok -eq 0 ] || { cat "$dir/app.log"; return 1; }
  cp "$dir/openapi.json" "$results/openapi.json"
  (cd tests/spectral && npx --no-install spectral lint "$dir/openapi.json" -r .spectral.yaml --fail-severity=warn -f text)
}

check "Dependency licences" scripts/licences.sh
# The cluster as scripts/cluster.sh starts it for operators: PostgreSQL, two instances, HAProxy; one instance SIGKILLed.
check "Cluster script" scripts/cluster.sh --check --no-build
check "OpenAPI lint" lint_openapi
run_suite tests/Psm.UnitTests none
report_suite tests/Psm.UnitTests none
for provider in sqlite postgres; do
  run_suite tests/Psm.IntegrationTests $provider
done
for provider in sqlite postgres; do
  run_suite tests/Psm.BrowserTests $provider
done
for provider in sqlite postgres; do
  report_suite tests/Psm.IntegrationTests $provider
  report_suite tests/Psm.BrowserTests $provider
done

[ ${#broken[@]} -eq 0 ] || echo "Suites that did not finish cleanly: ${broken[*]}"
echo
echo "The suites took $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s."
echo "Tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
