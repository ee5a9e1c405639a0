#!/usr/bin/env bash
# Starts the scale-out services on 127.0.0.1 only, for the remote-datastore and queue tests:
#   Redis (no persistence), PostgreSQL 15 (initdb in a temp dir, run as the postgres user),
#   memcached and OpenStack Swift with its s3api middleware (the S3-compatible server).
# Idempotent: a service that already answers is left as it is. Writes the connection settings to
# $STEPLAB_SERVICES_ENV (default /tmp/steplab-services.env), which the tests read; a test whose
# services are not running skips with the reason.
# Packages (Debian): .ci/apt-packages.txt. Stop everything: .ci/services.sh stop
set -euo pipefail

BASE=${STEPLAB_SERVICES_DIR:-/tmp/steplab-services}
ENV_FILE=${STEPLAB_SERVICES_ENV:-/tmp/steplab-services.env}
REDIS_PORT=16379
PG_PORT=15432
MEMCACHED_PORT=11311
PROXY_PORT=18080
OBJECT_PORT=16210
CONTAINER_PORT=16211
ACCOUNT_PORT=16212
BUCKET=steplab-test
PG_BIN=/usr/lib/postgresql/15/bin

log() { echo "services: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need() {
  for bin in "$@"; do
    command -v "$bin" >/dev/null 2>&1 || [ -x "$bin" ] || die "'$bin' is missing: apt-get install the packages in .ci/apt-packages.txt"
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # what, tries, command...
  local what=$1 tries=$2
  shift 2
  for _ in $(seq "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "$what did not come up (see logs under $BASE)"
}

stop_all() {
  for pidfile in "$BASE"/run/*.pid; do
    [ -f "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  if [ -d "$BASE/pg" ]; then runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$BASE/pg" -m fast stop >/dev/null 2>&1 || true; fi
  log "stopped"
}

if [ "${1:-}" = "stop" ]; then
  stop_all
  exit 0
fi

need redis-server memcached swift-proxy-server swift-object-server swift-container-server swift-account-server \
  swift-ring-builder curl runuser "$PG_BIN/initdb" "$PG_BIN/pg_ctl"
mkdir -p "$BASE/run" "$BASE/log"

# --- Redis: no RDB snapshots, no AOF.
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --dir "$BASE/run" --pidfile "$BASE/run/redis.pid" --logfile "$BASE/log/redis.log"
  wait_for redis 40 sh -c "redis-cli -h 127.0.0.1 -p $REDIS_PORT ping | grep -q PONG"
fi

# --- PostgreSQL 15: a throwaway cluster, owned and run by the postgres user.
if ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
  if [ ! -f "$BASE/pg/PG_VERSION" ]; then
    log "initdb in $BASE/pg"
    rm -rf "$BASE/pg"
    mkdir -p "$BASE/pg"
    chown postgres: "$BASE/pg"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$BASE/pg" -A trust -U postgres --no-sync >"$BASE/log/initdb.log"
  fi
  log "starting postgresql on 127.0.0.1:$PG_PORT"
  touch "$BASE/log/postgres.log" && chown postgres: "$BASE/log/postgres.log"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$BASE/pg" -l "$BASE/log/postgres.log" -w start \
    -o "-p $PG_PORT -k $BASE/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200" >/dev/null
fi
wait_for postgresql 40 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
if ! runuser -u postgres -- psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "select 1 from pg_database where datname='steplab'" | grep -q 1; then
  runuser -u postgres -- psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "create database steplab"
fi

# --- memcached (Swift's proxy cache).
if ! port_open "$MEMCACHED_PORT"; then
  log "starting memcached on 127.0.0.1:$MEMCACHED_PORT"
  nohup memcached -u memcache -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64 >"$BASE/log/memcached.log" 2>&1 &
  echo $! >"$BASE/run/memcached.pid"
  wait_for memcached 20 port_open "$MEMCACHED_PORT"
fi

# --- Swift: one node, one replica, rings in $BASE/swift; s3api + tempauth in the proxy.
SW=$BASE/swift
if [ ! -f "$SW/object.ring.gz" ]; then
  log "configuring swift in $SW"
  rm -rf "$SW"
  mkdir -p "$SW/node/d1"
  # Swift reads the hash path suffix from this fixed path; keep an existing one.
  if [ ! -f /etc/swift/swift.conf ]; then
    mkdir -p /etc/swift
    cat >/etc/swift/swift.conf <<EOF
[swift-hash]
swift_hash_path_suffix = steplab-ci-suffix
swift_hash_path_prefix = steplab-ci-prefix

[storage-policy:0]
name = Policy-0
default = yes
EOF
  fi
  cp /etc/swift/swift.conf "$SW/swift.conf"
  for ring in object:$OBJECT_PORT container:$CONTAINER_PORT account:$ACCOUNT_PORT; do
    name=${ring%%:*}
    port=${ring##*:}
    (cd "$SW" && swift-ring-builder "$name.builder" create 8 1 1 >/dev/null &&
      swift-ring-builder "$name.builder" add "r1z1-127.0.0.1:$port/d1" 1 >/dev/null &&
      swift-ring-builder "$name.builder" rebalance >/dev/null)
  done
  for server in object:$OBJECT_PORT container:$CONTAINER_PORT account:$ACCOUNT_PORT; do
    name=${server%%:*}
    port=${server##*:}
    cat >"$SW/$name-server.conf" <<EOF
[DEFAULT]
devices = $SW/node
mount_check = false
disable_fallocate = true
bind_ip = 127.0.0.1
bind_port = $port
workers = 0
user = root
swift_dir = $SW
log_level = WARNING

[pipeline:main]
pipeline = $name-server

[app:$name-server]
use = egg:swift#$name
EOF
  done
  cat >"$SW/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PROXY_PORT
workers = 0
user = root
swift_dir = $SW
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
allow_account_management = true
account_autocreate = true

[filter:tempauth]
use = egg:swift#tempauth
# S3 access key "test:tester", secret key "testing".
user_test_tester = testing .admin
user_admin_admin = admin .admin .reseller_admin

[filter:s3api]
use = egg:swift#s3api
location = us-east-1

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MEMCACHED_PORT

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:bulk]
use = egg:swift#bulk

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo
EOF
fi

start_swift() { # name port
  local name=$1 port=$2
  if port_open "$port"; then return 0; fi
  log "starting swift-$name-server on 127.0.0.1:$port"
  nohup "swift-$name-server" "$SW/$name-server.conf" >"$BASE/log/swift-$name.log" 2>&1 &
  echo $! >"$BASE/run/swift-$name.pid"
}
start_swift object "$OBJECT_PORT"
start_swift container "$CONTAINER_PORT"
start_swift account "$ACCOUNT_PORT"
start_swift proxy "$PROXY_PORT"
wait_for "swift proxy /healthcheck" 120 sh -c "curl -sf http://127.0.0.1:$PROXY_PORT/healthcheck | grep -q OK"

# The bucket is a Swift container of the tempauth account; the first requests may answer 503
# while the account and container servers settle, so retry.
created=""
for _ in $(seq 60); do
  auth=$(curl -s -i -H "X-Auth-User: test:tester" -H "X-Auth-Key: testing" "http://127.0.0.1:$PROXY_PORT/auth/v1.0" || true)
  url=$(printf '%s' "$auth" | tr -d '\r' | sed -n 's/^X-Storage-Url: //Ip' | head -1)
  token=$(printf '%s' "$auth" | tr -d '\r' | sed -n 's/^X-Auth-Token: //Ip' | head -1)
  if [ -n "$url" ] && [ -n "$token" ]; then
    code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "X-Auth-Token: $token" "$url/$BUCKET" || true)
    if [ "$code" = 201 ] || [ "$code" = 202 ]; then
      created=yes
      break
    fi
  fi
  sleep 0.5
done
[ -n "$created" ] || die "could not create bucket $BUCKET in swift (last answer: ${code:-none})"

cat >"$ENV_FILE" <<EOF
STEPLAB_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
STEPLAB_DB_URL=postgres://postgres@127.0.0.1:$PG_PORT/steplab
STEPLAB_S3_ENDPOINT=http://127.0.0.1:$PROXY_PORT
AWS_ACCESS_KEY_ID=test:tester
AWS_SECRET_ACCESS_KEY=testing
AWS_REGION=us-east-1
STEPLAB_TEST_BUCKET=$BUCKET
EOF
log "ready; settings in $ENV_FILE"
