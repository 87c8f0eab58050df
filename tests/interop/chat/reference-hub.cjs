// The reference behaviour of /hub, on the official socket.io server: hub.mjs runs against it
// first (so the checks themselves are proven), then against sio_server.
// Usage: node reference-hub.cjs <port>
const { Server } = require("socket.io");
const io = new Server(+process.argv[2], { pingInterval: 300, pingTimeout: 200, maxHttpBufferSize: 1e6 });
const hub = io.of("/hub");
const cbOf = (args) => (typeof args[args.length - 1] === "function" ? args.pop() : null);
hub.on("connection", (socket) => {
  socket.on("join", (...a) => { const cb = cbOf(a); socket.join(a[0]); cb && cb(true); });
  socket.on("leave", (...a) => { const cb = cbOf(a); socket.leave(a[0]); cb && cb(true); });
  socket.on("others", (...a) => { const cb = cbOf(a); socket.broadcast.emit(...a); cb && cb(true); });
  socket.on("all", (...a) => { const cb = cbOf(a); hub.emit(...a); cb && cb(true); });
  socket.on("to", (...a) => { const cb = cbOf(a); const [room, ...rest] = a; socket.to(room).emit(...rest); cb && cb(true); });
  socket.on("to-except", (...a) => { const cb = cbOf(a); const [room, ex, ...rest] = a; hub.to(room).except(ex).emit(...rest); cb && cb(true); });
  socket.on("set", (...a) => { const cb = cbOf(a); socket.data[a[0]] = a[1]; cb && cb(true); });
  socket.on("get", (...a) => { const cb = cbOf(a); cb && cb(a[0] in socket.data ? socket.data[a[0]] : null); });
  socket.on("disconnect", () => hub.emit("left", socket.id));
});
