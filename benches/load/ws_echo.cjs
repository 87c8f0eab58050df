// The Node peer: a `ws` 8.18 echo server with its defaults. `node ws_echo.cjs [HOST:]PORT`
// (`ws` from tests/interop/ws/node_modules, found through NODE_PATH).
const { WebSocketServer } = require("ws");
const wss = new WebSocketServer({ host: "127.0.0.1", port: +process.argv[2].split(":").pop() });
wss.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
