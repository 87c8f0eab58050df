# Shared helpers for the interop scripts in tests/ci/ (sourced, not run).

# Fails loudly when Node.js or npm is missing: a missing peer is a red CI, never a silent pass.
require_node() {
  command -v node >/dev/null || { echo "FAIL: node missing"; exit 1; }
  command -v npm >/dev/null || { echo "FAIL: npm missing"; exit 1; }
}

# A free loopback TCP port.
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Waits up to 10 s for something to listen on 127.0.0.1:$1.
wait_port() {
  for _ in $(seq 1 100); do
    if node -e 'require("net").connect(+process.argv[1],"127.0.0.1").on("connect",()=>process.exit(0)).on("error",()=>process.exit(1))' "$1"; then return 0; fi
    sleep 0.1
  done
  echo "FAIL: nothing listening on $1"; return 1
}
