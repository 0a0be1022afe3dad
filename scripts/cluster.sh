#!/usr/bin/env bash
# PSM as a cluster on this machine, the way docs/operations.md deploys it on several: a throwaway PostgreSQL, N PSM
# instances (a `dotnet publish` of this checkout, in Production) and HAProxy in front (deploy/haproxy.cfg.template),
# all on loopback. The migration bundle (scripts/migrations-bundle.sh) migrates the database; the instances do not. Every instance keeps its Data Protection keys and the public rate limits in the database.
#
#   scripts/cluster.sh                         2 instances behind http://127.0.0.1:8080 with the demo company; Ctrl+C stops all
#   scripts/cluster.sh --instances 3 --port 9000
#   scripts/cluster.sh --check                 starts the set, checks that the balancer spreads requests and keeps
#                                              answering when an instance is killed (SIGKILL), and that an instance
#                                              refuses a database the bundle has not migrated; stops the set
#   --no-build                                 publishes the Release build already made (test.sh builds first)
#
# Installs Debian's postgresql and haproxy first when they are missing.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
instances=2
port=8080
check=0
build=""
while [ $# -gt 0 ]; do
  case $1 in
    --instances) instances=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --check) check=1; shift ;;
    --no-build) build="--no-build"; shift ;;
    *) echo "usage: scripts/cluster.sh [--instances N] [--port P] [--check] [--no-build]"; exit 2 ;;
  esac
done
[ "$instances" -ge 2 ] 2>/dev/null || { echo "--instances must be 2 or more"; exit 2; }

# shellcheck source=scripts/throwaway-postgres.sh
. "$root/scripts/throwaway-postgres.sh"

work=$(mktemp -d /tmp/psm-cluster.XXXXXX)
pids=()
names=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  stop_throwaway_postgres
  rm -rf "$work"
}
trap stop_all EXIT INT TERM

if [ ! -x /usr/sbin/haproxy ]; then
  echo "Installing haproxy from Debian's packages"
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends haproxy >/dev/null \
    || { echo "Could not install haproxy"; exit 1; }
fi
if [ "$check" -eq 1 ]; then
  for candidate in $(seq 55900 56000); do
    if port_free "$candidate"; then port=$candidate; break; fi
  done
fi
port_free "$port" || { echo "Port $port is taken: pass --port"; exit 1; }

start_throwaway_postgres || exit 1
trap stop_all EXIT INT TERM # start_throwaway_postgres set its own
connection="${PSM_PG_CONNECTION/Database=postgres/Database=psm}"

echo "Publishing PSM (Release) to $work/app"
dotnet publish src/Psm.Web -c Release $build -o "$work/app" -nologo -v quiet >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }

# As in production: the migration bundle brings the schema up to date before any instance starts, and the instances
# (Database:MigrateOnStart=false) only check that it did.
scripts/migrations-bundle.sh --provider postgres --output "$work/psm-migrate-postgres" $build | tail -n 1 || exit 1
export Database__MigrateOnStart=false
if [ "$check" -eq 1 ]; then
  (cd "$work/app" && ASPNETCORE_ENVIRONMENT=Production Database__Provider=Postgres ConnectionStrings__Psm="$connection" \
    timeout 60 dotnet Psm.Web.dll --urls "http://127.0.0.1:0") >"$work/unmigrated.log" 2>&1 \
    && { echo "An instance started on a database the bundle had not migrated"; exit 1; }
  grep -q "Database:MigrateOnStart is false" "$work/unmigrated.log" \
    || { echo "An instance on an unmigrated database did not say why it stopped:"; tail -n 20 "$work/unmigrated.log"; exit 1; }
  echo "Before the bundle ran, an instance refused the database: $(grep -o 'The database lacks [0-9]* of' "$work/unmigrated.log")"
fi
"$work/psm-migrate-postgres" --connection "$connection" >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }
echo "The bundle applied $(grep -c "^Applying migration" "$work/migrate.log") migrations"
if [ "$check" -eq 1 ]; then
  "$work/psm-migrate-postgres" --connection "$connection" 2>&1 | grep -q "already up to date" \
    || { echo "A second run of the bundle did not find the database up to date"; exit 1; }
fi

admin_email=admin@psm.example
admin_password="Cluster-$(head -c 9 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')-1"
export Telemetry__Prometheus=true ASPNETCORE_ENVIRONMENT=Production Database__Provider=Postgres ConnectionStrings__Psm="$connection" \
  DataProtection__Keys=Database RateLimits__Store=Database Demo__Seed=true PublicUrl="http://127.0.0.1:$port" \
  PSM_ADMIN_EMAIL=$admin_email PSM_ADMIN_PASSWORD=$admin_password

wait_ready() { # url pid name
  for _ in $(seq 1 240); do
    curl -sf "$1/health/ready" >/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "$3 stopped:"; tail -n 30 "$work/$3.log"; return 1; }
    sleep 0.5
  done
  echo "$3 was not ready after 2 minutes"; tail -n 30 "$work/$3.log"; return 1
}

servers=""
next_port=55800
for i in $(seq 1 "$instances"); do
  while ! port_free "$next_port"; do next_port=$((next_port + 1)); done
  name="app$i"
  (cd "$work/app" && exec dotnet Psm.Web.dll --urls "http://127.0.0.1:$next_port") >"$work/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
  servers+="    server $name 127.0.0.1:$next_port cookie $name"$'\n'
  # The first instance writes the demo company; the others start on it.
  if [ "$i" -eq 1 ]; then
    echo "Starting $name on 127.0.0.1:$next_port (demo company)"
    wait_ready "http://127.0.0.1:$next_port" "${pids[0]}" "$name" || exit 1
  else
    echo "Starting $name on 127.0.0.1:$next_port"
  fi
  next_port=$((next_port + 1))
done
for i in $(seq 1 "$instances"); do
  instance_port=$(grep -oE "server app$i 127.0.0.1:[0-9]+" <<<"$servers" | grep -oE '[0-9]+$')
  wait_ready "http://127.0.0.1:$instance_port" "${pids[$((i - 1))]}" "app$i" || exit 1
done

awk -v bind="127.0.0.1:$port" -v servers="$servers" '
  $0 == "{{SERVERS}}" { printf "%s", servers; next }
  { gsub(/\{\{BIND\}\}/, bind); print }' deploy/haproxy.cfg.template >"$work/haproxy.cfg"
/usr/sbin/haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)
balancer="http://127.0.0.1:$port"
for _ in $(seq 1 50); do curl -sf "$balancer/health/ready" >/dev/null && break; sleep 0.2; done
curl -sf "$balancer/health/ready" >/dev/null || { cat "$work/haproxy.log"; exit 1; }

if [ "$check" -eq 0 ]; then
  echo
  echo "PSM runs on $instances instances behind $balancer"
  echo "Sign in as $admin_email with the password $admin_password"
  echo "Metrics of each instance: http://127.0.0.1:<its port>/metrics (the balancer refuses /metrics)."
  echo "Logs: $work/app*.log and $work/haproxy.log. Ctrl+C stops everything."
  wait "${pids[0]}"
  exit 0
fi

# --- the check: requests are spread, and an instance killed with SIGKILL leaves the balancer answering ---------------
answered_by() { curl -s -o /dev/null -D - "$balancer/health/ready" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-psm-instance" { print $2 }'; }
seen=$(for _ in $(seq 1 $((instances * 3))); do answered_by; done | sort -u | tr '\n' ' ')
echo "Requests were answered by: $seen"
[ "$(wc -w <<<"$seen")" -eq "$instances" ] || { echo "The balancer did not reach every instance"; exit 1; }
curl -sf "$balancer/account/sign-in" | grep -q "Sign in" || { echo "The sign-in page did not open through the balancer"; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "$balancer/metrics")" = "404" ] || { echo "The balancer lets /metrics out"; exit 1; }

kill -9 "${pids[0]}"
echo "Killed app1 (SIGKILL)"
failures=0
for _ in $(seq 1 20); do
  status=$(curl -s -o /dev/null -w '%{http_code}' "$balancer/health/ready")
  [ "$status" = "200" ] || failures=$((failures + 1))
done
after=$(for _ in $(seq 1 6); do answered_by; done | sort -u | tr '\n' ' ')
echo "After the kill: $failures of 20 requests failed; answered by: $after"
[ "$failures" -eq 0 ] || { echo "The balancer passed requests to the dead instance"; cat "$work/haproxy.log"; exit 1; }
grep -q app1 <<<"$after" && { echo "app1 still answered after it was killed"; exit 1; }
echo "Cluster check passed"
