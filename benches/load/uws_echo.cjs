// The uWebSockets peer of echo.sh: uWebSockets.js (npm @btc-vision/uwebsockets.js, which ships
// the native binaries) echoing every message, its defaults otherwise (maxPayloadLength raised
// to 64 KiB for the 16 KiB runs). `node uws_echo.cjs [HOST:]PORT`
const uWS = require("@btc-vision/uwebsockets.js");
const [host, port] = process.argv[2].includes(":") ? process.argv[2].split(":") : ["127.0.0.1", process.argv[2]];
uWS.App()
  .ws("/*", {
    maxPayloadLength: 64 * 1024,
    message: (ws, message, isBinary) => { ws.send(message, isBinary); },
  })
  .listen(host, +port, (token) => { if (!token) { console.error("listen failed"); process.exit(1); } });
