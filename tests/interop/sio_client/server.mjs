// The reference Socket.IO server (socket.io 4.8) for sockwire-tokio's SioClient: port from argv.
// `echo` → `echoed` with the same arguments (binary included); `ask` → acked with its arguments;
// on connection the server asks `hello?` with an ack and reports the answer as `answered`;
// `drop-me` → the server closes the underlying connection (the client must reconnect).
import { Server } from "socket.io";
const io = new Server(+process.argv[2], { pingInterval: 1000, pingTimeout: 1000 });
io.on("connection", (socket) => {
  socket.timeout(5000).emit("hello?", 1, (err, answer) => {
    socket.emit("answered", err ? "timeout" : answer);
  });
  socket.on("echo", (...args) => socket.emit("echoed", ...args));
  socket.on("ask", (...args) => {
    const ack = args.pop();
    ack(...args);
  });
  socket.on("drop-me", () => socket.conn.close());
});
console.log("listening");
