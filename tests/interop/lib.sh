# Shared helpers for the interop scripts in tests/ci/ (sourced, not run).

# Fails loudly when Node.js or npm is missing: a missing peer is a red CI, never a silent pass.
require_node() {
  command -v node >/dev/null || { echo "FAIL: node missing"; exit 1; }
  command -v npm >/dev/null || { echo "FAIL: npm missing"; exit 1; }
}

# A free loopback TCP port.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to 20 s for something to accept on 127.0.0.1:$1.
wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "FAIL: nothing listening on $1"; return 1
}

# Starts the built example $1 on a free loopback port, its address as the last argument after
# any flags given in $2..., and waits for it. Sets PORT; the server is killed on exit.
launch_example() {
  local example=$1
  shift
  PORT=$(free_port)
  "${CARGO_TARGET_DIR:-target}/release/examples/$example" "$@" "127.0.0.1:$PORT" 2>/dev/null &
  SERVER_PID=$!
  trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
  wait_port "$PORT"
}

# Installs the npm project in $1 (`npm ci`), builds example $2 with `cargo build --release`
# plus the remaining arguments (package, features) and launches it (see launch_example).
start_example_for() {
  local dir=$1 example=$2
  shift 2
  require_node
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cargo build --release "$@" --example "$example"
  launch_example "$example"
}

# For the Node peers of the Engine.IO / Socket.IO endpoints: installs the npm project in $1
# (`npm ci`), builds the sio_server example and starts it on a free loopback port. Sets PORT;
# the server is killed when the script exits.
start_sio_server_for() {
  require_node
  (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
  cargo build --release --example sio_server
  launch_example sio_server --addr
}
