# Sourced by test.sh and bench/run.sh: starts a throwaway PostgreSQL on a free loopback port with
# trust auth on 127.0.0.1 only, exports PSM_PG_CONNECTION, and stops it when the caller exits; start_throwaway_replica
# adds a streaming replica.
# Installs Debian's postgresql package first if it is missing.

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
run_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_throwaway_postgres() {
  if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
    echo "Installing postgresql from Debian's packages"
    as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null \
      || { echo "Could not install postgresql"; return 1; }
  fi
  PG_BIN=$(pg_bin)

  local port=""
  for candidate in $(seq 55432 55532); do
    if port_free "$candidate"; then port=$candidate; break; fi
  done
  [ -n "$port" ] || { echo "No free port for PostgreSQL"; return 1; }

  PG_DIR=$(mktemp -d /tmp/psm-pg.XXXXXX)
  [ "$(id -u)" -ne 0 ] || chown postgres "$PG_DIR"
  trap stop_throwaway_postgres EXIT

  echo "Starting a throwaway PostgreSQL on 127.0.0.1:$port"
  run_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log"; return 1; }
  run_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w start \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null || { cat "$PG_DIR/log"; return 1; }
  export PSM_PG_CONNECTION="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Include Error Detail=true"
}

# A streaming replica of the throwaway PostgreSQL (pg_basebackup, then a hot standby on its own port): exports
# PSM_PG_REPLICA_CONNECTION. Call after start_throwaway_postgres; stop_throwaway_postgres stops both.
start_throwaway_replica() {
  local port="" primary_port
  primary_port=$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$PSM_PG_CONNECTION")
  for candidate in $(seq 55533 55632); do
    if port_free "$candidate"; then port=$candidate; break; fi
  done
  [ -n "$port" ] || { echo "No free port for the replica"; return 1; }
  echo "Starting a streaming replica on 127.0.0.1:$port"
  run_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$PG_DIR/replica" -R -X stream --no-sync >"$PG_DIR/basebackup.log" 2>&1 \
    || { cat "$PG_DIR/basebackup.log"; return 1; }
  run_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/replica" -l "$PG_DIR/replica.log" -w start \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_DIR -c fsync=off -c hot_standby=on -c max_connections=200" \
    >/dev/null || { cat "$PG_DIR/replica.log"; return 1; }
  export PSM_PG_REPLICA_CONNECTION="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
}

stop_throwaway_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  [ ! -d "$PG_DIR/replica" ] || run_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/replica" -m immediate -w stop >/dev/null 2>&1 || true
  run_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
