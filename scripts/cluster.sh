#!/usr/bin/env bash
# The scale-out backend on one machine, on loopback (issue 20, decision 017):
#   two ClickHouse servers as two shards of the cluster `roost`, one PostgreSQL, and, with
#   `start` (not `start-db`), two Roost nodes on them behind a round-robin proxy.
#
#   scripts/cluster.sh start      # everything; prints the proxy's address and the env to reuse
#   scripts/cluster.sh start-db   # ClickHouse and PostgreSQL only (the cluster tests start nodes)
#   scripts/cluster.sh stop       # stops whatever is running, nodes first
#   scripts/cluster.sh status
#   scripts/cluster.sh env        # the variables a Roost node needs, for `eval`
#
# Installs clickhouse-server and postgresql from Debian's packages when they are missing.
# State lives in $ROOST_CLUSTER_DIR (default /tmp/roost-cluster); `stop` keeps it, `clean` drops it.
set -euo pipefail

DIR="${ROOST_CLUSTER_DIR:-/tmp/roost-cluster}"
PORT_BASE="${ROOST_CLUSTER_PORT_BASE:-17000}"
CH_HTTP=("$((PORT_BASE + 123))" "$((PORT_BASE + 124))")
CH_TCP=("$((PORT_BASE + 900))" "$((PORT_BASE + 901))")
CH_INTER=("$((PORT_BASE + 909))" "$((PORT_BASE + 910))")
PG_PORT="$((PORT_BASE + 432))"
NODE_PORTS=("$((PORT_BASE + 1))" "$((PORT_BASE + 2))")
PROXY_PORT="$PORT_BASE"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"

log() { echo "cluster: $*" >&2; }

install_missing() {
  local wanted=()
  command -v clickhouse-server >/dev/null || wanted+=(clickhouse-server clickhouse-client)
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || wanted+=(postgresql)
  if [ ${#wanted[@]} -gt 0 ]; then
    log "installing ${wanted[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${wanted[@]}" >/dev/null
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
}

env_vars() {
  cat <<EOF
export ROOST_STORE=clickhouse
export ROOST_CLICKHOUSE_URL=http://127.0.0.1:${CH_HTTP[0]}
export ROOST_CLICKHOUSE_SHARDS=http://127.0.0.1:${CH_HTTP[0]},http://127.0.0.1:${CH_HTTP[1]}
export ROOST_CLICKHOUSE_CLUSTER=roost
export ROOST_DATABASE_URL=postgres://roost@127.0.0.1:${PG_PORT}/roost
export ROOST_PROXY_URL=http://127.0.0.1:${PROXY_PORT}
export ROOST_NODE_URLS=http://127.0.0.1:${NODE_PORTS[0]},http://127.0.0.1:${NODE_PORTS[1]}
export ROOST_CLUSTER_DIR=${DIR}
export ROOST_ATTACHMENTS_DIR=${DIR}/attachments
EOF
}

# A small ClickHouse config of its own per shard (every path under the shard's directory) and the
# cluster of both shards; ClickHouse 18.16 takes its defaults for everything not named here.
clickhouse_config() {
  local i="$1" home="$DIR/ch$1"
  mkdir -p "$home/data" "$home/tmp" "$home/user_files" "$home/format_schemas" "$home/log"
  cat >"$home/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$home/log/server.log</log><errorlog>$home/log/error.log</errorlog><size>10M</size><count>2</count></logger>
  <http_port>${CH_HTTP[$i]}</http_port>
  <tcp_port>${CH_TCP[$i]}</tcp_port>
  <interserver_http_port>${CH_INTER[$i]}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <listen_host>127.0.0.1</listen_host>
  <max_connections>1024</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>1073741824</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <path>$home/data/</path>
  <tmp_path>$home/tmp/</tmp_path>
  <user_files_path>$home/user_files/</user_files_path>
  <format_schema_path>$home/format_schemas/</format_schema_path>
  <users_config>$home/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
  <remote_servers>
    <roost>
      <shard><replica><host>127.0.0.1</host><port>${CH_TCP[0]}</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>${CH_TCP[1]}</port></replica></shard>
    </roost>
  </remote_servers>
  <macros><shard>$i</shard></macros>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
  <max_session_timeout>3600</max_session_timeout>
  <default_session_timeout>60</default_session_timeout>
</yandex>
EOF
  cat >"$home/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage><load_balancing>random</load_balancing></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
}

wait_http() {
  local url="$1" name="$2"
  for _ in $(seq 1 200); do
    if curl -sf "$url" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  log "$name did not answer at $url"
  return 1
}

# Alive, and not a zombie: PID 1 on these machines does not reap exited children, and kill -0
# succeeds on a defunct entry.
running() {
  [ -f "$1" ] || return 1
  local pid
  pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

# A port another process holds (another cluster on the same port base, say) is named before the
# part that needs it fails with a message of its own ("pg_ctl: could not start server").
need_free_port() {
  local port="$1" what="$2"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    log "port $port ($what) is taken by another process: stop it, or set ROOST_CLUSTER_PORT_BASE"
    exit 1
  fi
}

start_clickhouse() {
  for i in 0 1; do
    local home="$DIR/ch$i"
    if running "$home/server.pid"; then continue; fi
    need_free_port "${CH_HTTP[$i]}" "ClickHouse shard $i, http"
    need_free_port "${CH_TCP[$i]}" "ClickHouse shard $i, tcp"
    clickhouse_config "$i"
    clickhouse-server --config-file="$home/config.xml" --pid-file="$home/server.pid" \
      >"$home/log/stdout.log" 2>&1 &
    echo $! >"$home/server.pid"
  done
  for i in 0 1; do wait_http "http://127.0.0.1:${CH_HTTP[$i]}/ping" "ClickHouse shard $i"; done
  log "ClickHouse shards on http ${CH_HTTP[0]}, ${CH_HTTP[1]} (tcp ${CH_TCP[0]}, ${CH_TCP[1]})"
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local home="$DIR/pg"
  # The postgres user must reach its directory (a mktemp -d directory is 0700).
  chmod 755 "$DIR"
  if [ ! -f "$home/data/PG_VERSION" ]; then
    mkdir -p "$home"
    [ "$(id -u)" -eq 0 ] && chown postgres "$home"
    as_postgres "$PG_BIN/initdb" -D "$home/data" -U roost --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$home/data" status >/dev/null 2>&1; then
    need_free_port "$PG_PORT" "PostgreSQL"
    as_postgres "$PG_BIN/pg_ctl" -D "$home/data" -l "$home/server.log" -w \
      -o "-p $PG_PORT -k $home -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" start >/dev/null
  fi
  if ! as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U roost -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'roost'" | grep -q 1; then
    as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U roost roost
  fi
  log "PostgreSQL on $PG_PORT"
}

start_nodes() {
  eval "$(env_vars)"
  # Attachment bytes: one directory both nodes share (on real machines, NFS or the like).
  mkdir -p "$ROOST_ATTACHMENTS_DIR"
  for i in 0 1; do
    local home="$DIR/node$i"
    mkdir -p "$home"
    if running "$home/node.pid"; then continue; fi
    need_free_port "${NODE_PORTS[$i]}" "Roost node $i"
    ROOST_DATA_DIR="$home/data" ROOST_PORT="${NODE_PORTS[$i]}" \
      "$ROOT/node_modules/.bin/bun" "$ROOT/src/main.ts" serve >>"$home/node.log" 2>&1 &
    echo $! >"$home/node.pid"
  done
  for i in 0 1; do wait_http "http://127.0.0.1:${NODE_PORTS[$i]}/health" "Roost node $i"; done
  if ! running "$DIR/proxy.pid"; then
    ROOST_PROXY_PORT="$PROXY_PORT" ROOST_PROXY_TARGETS="http://127.0.0.1:${NODE_PORTS[0]},http://127.0.0.1:${NODE_PORTS[1]}" \
      "$ROOT/node_modules/.bin/bun" "$ROOT/scripts/proxy.ts" >"$DIR/proxy.log" 2>&1 &
    echo $! >"$DIR/proxy.pid"
  fi
  wait_http "http://127.0.0.1:${PROXY_PORT}/health" "the proxy"
  log "Roost nodes on ${NODE_PORTS[0]}, ${NODE_PORTS[1]}; the proxy on $PROXY_PORT"
  grep -h -A7 "Roost is set up" "$DIR"/node*/node.log 2>/dev/null | head -12 >&2 || true
}

stop_pid() {
  local file="$1" name="$2"
  if running "$file"; then
    local pid
    pid="$(cat "$file")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped $name"
  fi
  rm -f "$file"
}

stop_all() {
  stop_pid "$DIR/proxy.pid" "the proxy"
  for i in 0 1; do stop_pid "$DIR/node$i/node.pid" "node $i"; done
  for i in 0 1; do stop_pid "$DIR/ch$i/server.pid" "ClickHouse shard $i"; done
  if [ -f "$DIR/pg/data/PG_VERSION" ] && [ -n "$PG_BIN" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null 2>&1 && log "stopped PostgreSQL" || true
  fi
}

case "${1:-}" in
start-db)
  install_missing
  mkdir -p "$DIR"
  start_clickhouse
  start_postgres
  env_vars
  ;;
start)
  install_missing
  mkdir -p "$DIR"
  start_clickhouse
  start_postgres
  start_nodes
  env_vars
  ;;
stop) stop_all ;;
clean)
  stop_all
  rm -rf "$DIR"
  ;;
status)
  for i in 0 1; do running "$DIR/ch$i/server.pid" && echo "clickhouse shard $i: up" || echo "clickhouse shard $i: down"; done
  [ -n "$PG_BIN" ] && as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg/data" status >/dev/null 2>&1 && echo "postgresql: up" || echo "postgresql: down"
  for i in 0 1; do running "$DIR/node$i/node.pid" && echo "node $i: up" || echo "node $i: down"; done
  running "$DIR/proxy.pid" && echo "proxy: up" || echo "proxy: down"
  ;;
env) env_vars ;;
*)
  echo "usage: scripts/cluster.sh start|start-db|stop|clean|status|env" >&2
  exit 2
  ;;
esac
