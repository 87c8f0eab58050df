// The Node peer of sio.sh: socket.io 4.8 with its defaults (ping every 25 s), WebSocket
// transport as the clients ask. `join` (room, ack) joins a room and acks "ok"; `go` (room,
// payload) emits `msg` with the payload to the room. `node sio_server.cjs [HOST:]PORT`
const { Server } = require("socket.io");
const io = new Server(+process.argv[2].split(":").pop());
io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack("ok");
  });
  socket.on("go", (room, payload) => io.to(room).emit("msg", payload));
});
