#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at a throwaway PostgreSQL cluster: installed from
# Debian when missing, initdb'd into a temporary directory, listening on 127.0.0.1 on a free port
# with TLS on (a self-signed certificate the URL verifies), and stopped and removed on exit.
#   tests/with_postgres.sh deno task test      (what `deno task test:pg` runs)
set -euo pipefail

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  apt-get update && apt-get install -y postgresql
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi

DIR="$(mktemp -d /tmp/vestibule-pg.XXXXXX)"
chmod 755 "$DIR"
as_owner() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; fi

cleanup() {
  as_owner "'$PG_BIN/pg_ctl' -D '$DIR/data' -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

PORT="$(deno eval 'const l = Deno.listen({ hostname: "127.0.0.1", port: 0 }); console.log(l.addr.port); l.close()')"
openssl req -new -x509 -days 2 -nodes -subj "/CN=localhost" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$DIR/server.key" -out "$DIR/server.crt" 2>/dev/null
chmod 600 "$DIR/server.key"
if [ "$(id -u)" = 0 ]; then chown postgres "$DIR/server.key" "$DIR/server.crt"; fi

as_owner "'$PG_BIN/initdb' -D '$DIR/data' -A trust -U postgres" >/dev/null
# fsync off: a test cluster that dies with its data is no loss, and the suite creates many databases.
as_owner "'$PG_BIN/pg_ctl' -D '$DIR/data' -l '$DIR/log' -w start -o \"-p $PORT -k '$DIR' \
  -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file='$DIR/server.crt' \
  -c ssl_key_file='$DIR/server.key' -c max_connections=400 -c fsync=off\"" >/dev/null

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=verify-full&sslrootcert=$DIR/server.crt"
echo "PostgreSQL on 127.0.0.1:$PORT (TLS, $DIR)"
"$@"
