# Throwaway PostgreSQL and Redis on loopback for the tests; sourced by .ci/run.
# Exports BASTION_TEST_PG_URL and BASTION_TEST_REDIS_URL; stops both on exit.

_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_services() {
  local tmp; tmp=$(mktemp -d /tmp/bastion-ci.XXXXXX); chmod 755 "$tmp"
  # PostgreSQL: binaries ship with the machine; initdb must run as the postgres user.
  local pgbin; pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -n "$pgbin" ] && id postgres >/dev/null 2>&1; then
    local pgport; pgport=$(_free_port)
    mkdir -p "$tmp/pg" && chown postgres "$tmp/pg"
    runuser -u postgres -- "$pgbin/initdb" -D "$tmp/pg/data" -A trust -U postgres >/dev/null
    runuser -u postgres -- "$pgbin/pg_ctl" -w -D "$tmp/pg/data" -l "$tmp/pg/log" \
      -o "-h 127.0.0.1 -p $pgport -k $tmp/pg" start >/dev/null
    runuser -u postgres -- "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres bastion_test
    export BASTION_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$pgport/bastion_test"
    _PGDATA="$tmp/pg/data"; _PGBIN="$pgbin"
    echo "services: PostgreSQL on 127.0.0.1:$pgport"
  else
    echo "services: no PostgreSQL server binaries; PostgreSQL tests will be skipped"
  fi
  # Redis: a Debian package, installed when missing.
  if ! command -v redis-server >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null 2>&1 || true
  fi
  if command -v redis-server >/dev/null 2>&1; then
    local rport; rport=$(_free_port)
    redis-server --bind 127.0.0.1 --port "$rport" --save "" --appendonly no --daemonize yes \
      --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log"
    export BASTION_TEST_REDIS_URL="redis://127.0.0.1:$rport/0"
    _REDIS_PID="$tmp/redis.pid"
    echo "services: Redis on 127.0.0.1:$rport"
  else
    echo "services: redis-server unavailable; Redis tests will be skipped"
  fi
  trap stop_services EXIT
}

stop_services() {
  if [ -n "${_PGDATA:-}" ]; then runuser -u postgres -- "$_PGBIN/pg_ctl" -D "$_PGDATA" -m fast stop >/dev/null 2>&1 || true; fi
  if [ -n "${_REDIS_PID:-}" ] && [ -f "$_REDIS_PID" ]; then kill "$(cat "$_REDIS_PID")" 2>/dev/null || true; fi
}
