"""Python `websockets` (sync client) against sockwire's echo_server.

usage: python peer_websockets.py ws://127.0.0.1:PORT
Prints one line per check and ends with `N passed, N failed`; exit status 1 on any failure.
"""
import socket
import sys
import threading
import time

from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.sync.client import connect

URL = sys.argv[1]
HOSTPORT = URL[len("ws://"):].rstrip("/")
results = []


def check(name, fn):
    t0 = time.time()
    try:
        fn()
        results.append((name, True, ""))
        print("ok   %-55s %.2fs" % (name, time.time() - t0), flush=True)
    except Exception as e:  # noqa: BLE001 - report anything
        results.append((name, False, repr(e)))
        print("FAIL %-55s %r" % (name, e), flush=True)


def conn(**kw):
    return connect(URL, max_size=None, open_timeout=10, close_timeout=10, **kw)


def sizes():
    for n in (0, 1, 125, 126, 65535, 65536, 1 << 20):
        for kind in ("text", "binary"):
            def fn(n=n, kind=kind):
                with conn() as ws:
                    if kind == "text":
                        msg = "".join(chr(0x61 + i % 26) for i in range(n))
                    else:
                        msg = bytes((i * 7 + 3) % 256 for i in range(n))
                    ws.send(msg)
                    got = ws.recv(timeout=20)
                    assert type(got) is type(msg), "type %s" % type(got)
                    assert got == msg, "payload differs (%d vs %d bytes)" % (len(got), len(msg))
            check("echo %s %d bytes" % (kind, n), fn)


def fragmented_utf8():
    text = "héllo €𝄞 κόσμε " * 50
    raw = text.encode()
    # Cut every 3 bytes: most cuts fall inside a multi-byte code point.
    frags = [raw[i:i + 3] for i in range(0, len(raw), 3)]
    with conn() as ws:
        ws.send(frags, text=True)
        got = ws.recv(timeout=10)
        assert got == text, "text differs"
        ws.send([b"\x00\x01", b"", b"\x02"])
        assert ws.recv(timeout=10) == b"\x00\x01\x02"


def ping_pong():
    with conn() as ws:
        waiter = ws.ping(b"are you there")
        assert waiter.wait(10), "no pong"


def close_reason():
    with conn() as ws:
        ws.close(1000, "bye now")
        rcvd = ws.protocol.close_rcvd
    assert rcvd is not None, "no close frame received"
    assert rcvd.code == 1000, rcvd
    assert rcvd.reason == "bye now", rcvd


def pipelined():
    with conn() as ws:
        for i in range(100):
            ws.send("message %d" % i)
        for i in range(100):
            got = ws.recv(timeout=10)
            assert got == "message %d" % i, "out of order: %r" % got


def concurrent():
    errors = []

    def worker(k):
        try:
            with conn() as ws:
                for i in range(20):
                    m = "conn %d echo %d" % (k, i)
                    ws.send(m)
                    assert ws.recv(timeout=20) == m
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]


def subprotocol():
    with conn(subprotocols=["chat"]) as ws:
        assert ws.subprotocol == "chat", ws.subprotocol


def lecture_handshake():
    req = (
        "GET /mychat HTTP/1.1\r\n"
        "Host: server.example.com\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n"
        "Sec-WebSocket-Protocol: chat\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Origin: http://example.com\r\n"
        "\r\n"
    ).encode()
    host, port = HOSTPORT.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    s.sendall(req)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        assert chunk, "connection closed before the response"
        head += chunk
    s.close()
    lines = head.split(b"\r\n\r\n")[0].decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 101 Switching Protocols", lines[0]
    assert "Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=" in lines, lines
    assert "Sec-WebSocket-Protocol: chat" in lines, lines


def deflate():
    """permessage-deflate: every window size, context takeover on and off, text and binary up
    to 1 MiB, three messages per connection (the later ones reuse the context)."""
    for bits in range(8, 16):
        for no_takeover in (False, True):
            def fn(bits=bits, no_takeover=no_takeover):
                factory = ClientPerMessageDeflateFactory(
                    server_no_context_takeover=no_takeover,
                    client_no_context_takeover=no_takeover,
                    server_max_window_bits=bits,
                    # websockets refuses 8 for its own (zlib) compressor.
                    client_max_window_bits=max(bits, 9),
                    compress_settings={"memLevel": 5},
                )
                with connect(URL, max_size=None, open_timeout=10, close_timeout=10,
                             compression=None, extensions=[factory]) as ws:
                    exts = ws.protocol.extensions
                    assert exts and exts[0].name == "permessage-deflate", exts
                    for n in (100, 65536, 1 << 20):
                        for kind in ("text", "binary"):
                            for rep in range(3):
                                if kind == "text":
                                    msg = "".join(chr(0x61 + (i * (rep + 1)) % 26) for i in range(n))
                                else:
                                    msg = bytes(((i >> 4) * 7 + rep) % 256 for i in range(n))
                                ws.send(msg)
                                got = ws.recv(timeout=20)
                                assert type(got) is type(msg), "type %s" % type(got)
                                assert got == msg, "payload differs (%d vs %d bytes)" % (len(got), len(msg))
            check("deflate window %d %scontext takeover" % (bits, "no " if no_takeover else ""), fn)


sizes()
check("fragmented text splitting UTF-8 code points", fragmented_utf8)
check("ping -> pong", ping_pong)
check("close 1000 with reason echoed", close_reason)
check("100 pipelined messages in order", pipelined)
check("50 concurrent connections x 20 echoes", concurrent)
check("subprotocol chat selected", subprotocol)
check("raw lecture handshake: exact Accept and protocol", lecture_handshake)
deflate()

passed = sum(1 for r in results if r[1])
failed = len(results) - passed
print("websockets: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
