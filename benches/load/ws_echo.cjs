// The Node peer: a `ws` 8.18 echo server with its defaults. `node ws_echo.cjs [HOST:]PORT [PING_SECS]`
// (`ws` found through NODE_PATH). With PING_SECS, the heartbeat of ws's README: every
// PING_SECS seconds each client that answered the last Ping gets a new one, the others are
// terminated.
const { WebSocketServer } = require("ws");
const wss = new WebSocketServer({ host: "127.0.0.1", port: +process.argv[2].split(":").pop() });
wss.on("connection", (ws) => {
  ws.isAlive = true;
  ws.on("pong", () => { ws.isAlive = true; });
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
if (process.argv[3]) {
  setInterval(() => {
    for (const ws of wss.clients) {
      if (!ws.isAlive) { ws.terminate(); continue; }
      ws.isAlive = false;
      ws.ping();
    }
  }, +process.argv[3] * 1000);
}
