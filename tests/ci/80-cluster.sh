#!/usr/bin/env bash
# The cluster adapter against the real thing: a redis-server (Debian package, started and
# stopped here), one Node socket.io 4.8 server with @socket.io/redis-adapter 8.3 and two
# sockwire servers (sockwire-tokio/examples/sio_cluster.rs, feature `redis`), each with
# socket.io-client 4.8 clients (tests/interop/cluster/run.mjs):
#  * a broadcast from any node reaches every client of every node exactly once; rooms and
#    except across nodes; another namespace (/chat) stays apart from "/" (both variants);
#  * fetchSockets, allRooms, socketsJoin / socketsLeave, serverSideEmit (with and without
#    acks) and disconnectSockets from the Node node act on the Rust nodes' clients;
#  * the Rust emitter (`--example cluster_emit`, `cluster::Emitter`) reaches every node;
#  * binary, byte by byte, in both variants: serverSideEmit with a Buffer both ways (sharded:
#    msgpack, the Buffer arrives as bytes; classic: as the reference, as its JSON form),
#    serverSideEmitWithAck with a Buffer and binary answers both ways, broadcasts with acks
#    whose client answers are Buffers and whose argument is a Buffer, and broadcasts with a
#    Buffer, from every node;
#  * the Node node killed mid-run leaves the Rust nodes working (a broadcast, and a broadcast
#    with acks that counts the nodes left);
#  * Redis stopped: each Rust node still delivers locally; Redis back: they reconnect and
#    resubscribe (sharded nodes too, a room's own channel included);
#  * the sharded variant (`--sharded`, Redis 7): broadcasts, rooms and except across nodes;
#    socketsJoin / socketsLeave, serverSideEmit (with acks too), fetchSockets (rooms too) and
#    disconnectSockets both ways; broadcasts with acks from every node and serverCount (node
#    count by PUBSUB SHARDNUMSUB), complete before their deadline; the binary checks above;
#    the Node node killed mid-run;
#  * the chat demo (`cargo run --example chat -- --redis ...`) as two processes on two ports:
#    a post on one reaches a client of the other; again through a Redis with a password
#    (`--redis redis://:PASSWORD@HOST:PORT/0`); a wrong or missing password ends the node
#    with a clear error (exit 1) instead of retrying forever.
# Exits non-zero on any failure, or if node, npm or redis-server is missing (after trying apt).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
require_node
if ! command -v redis-server >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq redis-server) >/dev/null 2>&1 ||
    (sudo -n apt-get update -qq && sudo -n apt-get install -y -qq redis-server) >/dev/null 2>&1 || true
fi
command -v redis-server >/dev/null || { echo "FAIL: redis-server missing (apt-get install redis-server)"; exit 1; }

TMP=$(mktemp -d)
PIDS=()
REDIS_PID=
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

echo '{"private":true,"type":"module"}' > "$TMP/package.json"
(cd "$TMP" && npm install --no-audit --no-fund --loglevel=error \
  socket.io@4.8 @socket.io/redis-adapter@8.3 redis@4.7 socket.io-client@4.8)
cp tests/interop/cluster/run.mjs "$TMP/run.mjs"

cargo build --release -p sockwire-tokio --features redis --example sio_cluster --example cluster_emit
cargo build --release --example chat
BIN="${CARGO_TARGET_DIR:-target}/release/examples/sio_cluster"
CHAT="${CARGO_TARGET_DIR:-target}/release/examples/chat"

RPORT=$(free_port)
start_redis() {
  redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no >"$TMP/redis.log" 2>&1 &
  REDIS_PID=$!
  wait_port "$RPORT"
}
start_redis
P1=$(free_port); P2=$(free_port)
"$BIN" --addr "127.0.0.1:$P1" --redis "127.0.0.1:$RPORT" --name rust1 &
PIDS+=($!)
"$BIN" --addr "127.0.0.1:$P2" --redis "127.0.0.1:$RPORT" --name rust2 &
PIDS+=($!)
wait_port "$P1"; wait_port "$P2"
sleep 0.5 # the subscriptions

rc=0
EMIT_BIN="${CARGO_TARGET_DIR:-target}/release/examples/cluster_emit" \
  timeout 180 node "$TMP/run.mjs" test "redis://127.0.0.1:$RPORT" "http://127.0.0.1:$P1" "http://127.0.0.1:$P2" || rc=1

# Redis away: local delivery goes on; Redis back: the nodes reconnect and resubscribe.
kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true; REDIS_PID=
timeout 30 node "$TMP/run.mjs" local "http://127.0.0.1:$P1" || rc=1
start_redis
sleep 1.5 # the nodes retry every 500 ms
timeout 30 node "$TMP/run.mjs" cross "http://127.0.0.1:$P1" "http://127.0.0.1:$P2" || rc=1

# The sharded variant (Redis 7 SSUBSCRIBE / SPUBLISH, dynamic room channels): broadcasts,
# rooms and except, socketsJoin, serverSideEmit and broadcasts with acks across a sharded
# Node node and two sharded sockwire nodes.
S1=$(free_port); S2=$(free_port)
"$BIN" --addr "127.0.0.1:$S1" --redis "127.0.0.1:$RPORT" --name rust1 --sharded &
PIDS+=($!)
"$BIN" --addr "127.0.0.1:$S2" --redis "127.0.0.1:$RPORT" --name rust2 --sharded &
PIDS+=($!)
wait_port "$S1"; wait_port "$S2"
sleep 0.5
SHARDED=1 timeout 120 node "$TMP/run.mjs" test "redis://127.0.0.1:$RPORT" "http://127.0.0.1:$S1" "http://127.0.0.1:$S2" || rc=1

# Redis restarted under the sharded nodes: their subscriptions (a room's own channel too) are
# replayed on the new connection.
echo "== sharded nodes across a Redis restart"
mkdir -p "$TMP/restart"
timeout 90 node "$TMP/run.mjs" restart "http://127.0.0.1:$S1" "http://127.0.0.1:$S2" "$TMP/restart" &
HOLD=$!
for _ in $(seq 1 300); do [ -e "$TMP/restart/ready" ] && break; sleep 0.1; done
[ -e "$TMP/restart/ready" ] || { echo "FAIL: restart clients not ready"; rc=1; }
kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true; REDIS_PID=
start_redis
sleep 1.5 # the nodes retry every 500 ms
touch "$TMP/restart/go"
wait "$HOLD" || rc=1

# The chat demo as two processes on two ports sharing the Redis.
C1=$(free_port); C2=$(free_port)
"$CHAT" --addr "127.0.0.1:$C1" --redis "127.0.0.1:$RPORT" 2>/dev/null &
PIDS+=($!)
"$CHAT" --addr "127.0.0.1:$C2" --redis "127.0.0.1:$RPORT" 2>/dev/null &
PIDS+=($!)
wait_port "$C1"; wait_port "$C2"
sleep 0.5
timeout 30 node "$TMP/run.mjs" chat "http://127.0.0.1:$C1" "http://127.0.0.1:$C2" || rc=1

# A Redis with a password (`requirepass`): the chat demo given a redis:// URL logs in (AUTH)
# on both of its connections; without it, SUBSCRIBE would be refused (NOAUTH) and no post
# would cross.
APORT=$(free_port)
redis-server --port "$APORT" --bind 127.0.0.1 --save '' --appendonly no --requirepass 's3cret:@' \
  >"$TMP/redis-auth.log" 2>&1 &
PIDS+=($!)
wait_port "$APORT"
A1=$(free_port); A2=$(free_port)
for p in "$A1" "$A2"; do
  "$CHAT" --addr "127.0.0.1:$p" --redis "redis://:s3cret%3A%40@127.0.0.1:$APORT/0" 2>/dev/null &
  PIDS+=($!)
done
wait_port "$A1"; wait_port "$A2"
sleep 0.5
echo "== chat demo through a Redis with a password"
timeout 30 node "$TMP/run.mjs" chat "http://127.0.0.1:$A1" "http://127.0.0.1:$A2" || rc=1

# A wrong password, and none for a Redis that wants one: the node says so and exits (non-zero)
# instead of retrying the login forever.
echo "== a refused Redis login ends the node with a clear error"
for url in "redis://:wrong@127.0.0.1:$APORT" "127.0.0.1:$APORT"; do
  B=$(free_port)
  set +e
  timeout 20 "$CHAT" --addr "127.0.0.1:$B" --redis "$url" >"$TMP/refused.log" 2>&1
  code=$?
  set -e
  if [ "$code" = 1 ] && grep -q 'refused the login' "$TMP/refused.log" \
    && grep -Eq 'WRONGPASS|NOAUTH' "$TMP/refused.log"; then
    echo "ok - refused login ($url): exit 1, $(grep -m1 -o 'refused the login.*' "$TMP/refused.log")"
  else
    echo "FAIL - refused login ($url): exit $code"; cat "$TMP/refused.log"; rc=1
  fi
done

if [ "$rc" = 0 ]; then echo "80-cluster: ok"; else echo "80-cluster: FAILED"; fi
exit "$rc"
