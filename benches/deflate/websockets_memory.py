"""Per-connection permessage-deflate memory of Python `websockets` at its server defaults
(server and client windows 12 bits, memLevel 5, context takeover): N server-side
PerMessageDeflate extensions, each decoding one client message and encoding one reply (so both
zlib streams exist, as on a live connection). Reports the RSS growth per connection.
usage: python websockets_memory.py [N]   (websockets==17.4, as tests/interop/ws/requirements.txt)
"""
import gc
import sys
import zlib

import websockets
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
s = ""
i = 0
while len(s) < 2048:
    s += '{"id":%d,"user":"user%d","text":"hello number %d"},' % (i, i % 17, i * 7)
    i += 1
msg = s.encode()
c = zlib.compressobj(wbits=-12)
compressed = (c.compress(msg) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]

gc.collect()
before = rss()
keep = []
for _ in range(N):
    # Server side: remote = client, local = server; websockets' defaults.
    ext = PerMessageDeflate(False, False, 12, 12, {"memLevel": 5})
    ext.decode(Frame(Opcode.TEXT, compressed, rsv1=True))
    ext.encode(Frame(Opcode.TEXT, msg))
    keep.append(ext)
gc.collect()
after = rss()
print(
    f"websockets {websockets.__version__} zlib {zlib.ZLIB_RUNTIME_VERSION}: {N} connections, "
    f"per connection: rss {(after - before) // N} B"
)
