/*
 * sockwire.h: the C ABI of sockwire, a sans-IO WebSocket (RFC 6455) and Socket.IO packet codec.
 *
 * Push style: the library never reads a socket, a clock or a random source. You feed it the
 * bytes you read (sw_ws_recv), ask it for bytes to write (sw_ws_poll_transmit), read what
 * happened (sw_ws_poll_event) and arm one timer (sw_ws_poll_timeout / sw_ws_handle_timeout).
 *
 * Conventions for every function:
 *  - Return values: SW_OK (0) or a positive "kind of success" (SW_PARTIAL, or 1 = "an item was
 *    returned" for the sw_*_poll_* functions, 0 = "nothing"), negative SW_ERR_* on failure.
 *    sw_strerror() describes a code; each handle's *_last_error() says more.
 *  - Pointers: a pointer argument marked "required" must not be NULL (else SW_ERR_NULL).
 *    A (pointer, length) pair may be (NULL, 0). Lengths above PTRDIFF_MAX are SW_ERR_INVALID.
 *  - Ownership: handles are created by *_new and freed by the matching *_free (NULL is
 *    ignored). Nothing else allocates memory the caller must free. Every pointer the library
 *    returns ("borrowed") points into the handle and stays valid until the next call on that
 *    handle (any function taking it), unless stated otherwise.
 *  - Input buffers are only read (or, for sw_ws_recv, unmasked in place) during the call.
 *  - Time: now_ns / deadline_ns are nanoseconds since an epoch of the caller's choosing
 *    (e.g. CLOCK_MONOTONIC); they must never go backwards.
 *  - Threads: no global state. A handle may be used from any thread, one thread at a time.
 *  - Panics never cross the boundary: an internal bug returns SW_ERR_PANIC and the handle
 *    refuses every later call with it.
 *
 * Link: cc app.c -I include -L target/release -l:libsockwire_capi.a -lpthread -ldl -lm
 * (or -lsockwire_capi for the shared library).
 */
#ifndef SOCKWIRE_H
#define SOCKWIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status codes ------------------------------------------------------------------------ */

#define SW_OK 0
#define SW_PARTIAL 1             /* a handshake head is incomplete: read more, call again */
#define SW_ERR_NULL (-1)         /* a required pointer was NULL */
#define SW_ERR_PROTOCOL (-2)     /* the peer violated the protocol; a Close frame is queued */
#define SW_ERR_EVENT_PENDING (-3) /* drain sw_ws_poll_event before feeding more bytes */
#define SW_ERR_CLOSED (-4)       /* the connection is closing or closed: command refused */
#define SW_ERR_HANDSHAKE (-5)    /* handshake refused (a ready HTTP response may be given) */
#define SW_ERR_BUFFER (-6)       /* output buffer too small; *out_len holds the size needed */
#define SW_ERR_INVALID (-7)      /* invalid argument (UTF-8, sizes, codes, JSON, packet) */
#define SW_ERR_PANIC (-8)        /* internal bug caught; the handle is unusable */

/* A static, NUL-terminated description of a status code (never NULL, never freed). */
const char *sw_strerror(int code);

/* ---- WebSocket connection ---------------------------------------------------------------- */

typedef struct sw_ws sw_ws; /* opaque */

typedef struct sw_ws_config {
    uint64_t max_frame_size;   /* largest frame payload accepted (default 16 MiB) */
    uint64_t max_message_size; /* largest message, checked from each header (default 16 MiB) */
    uint32_t max_fragments;    /* most frames per message (default 16384) */
    uint8_t receive_mode;      /* 0: whole messages (default); 1: chunks as they arrive */
    uint8_t auto_pong;         /* 1: answer Pings automatically (default) */
    uint64_t keepalive_ns;     /* interval of keepalive Pings; 0 = off (default) */
    uint64_t pong_timeout_ns;  /* wait for a Pong after a keepalive Ping (default 20 s) */
    uint64_t close_timeout_ns; /* wait for the peer's Close / EOF after ours (default 5 s) */
} sw_ws_config;

/* Writes the defaults into *cfg (required). */
int sw_ws_config_init(sw_ws_config *cfg);

/* Fills len bytes at out with unpredictable bytes (for client mask keys). */
typedef void (*sw_random_fn)(void *user, uint8_t *out, size_t len);

/* A server connection (never masks); cfg may be NULL (defaults). NULL on allocation failure. */
sw_ws *sw_ws_new_server(const sw_ws_config *cfg);
/* A client connection; random is required and, with user, must stay valid until sw_ws_free. */
sw_ws *sw_ws_new_client(const sw_ws_config *cfg, sw_random_fn random, void *user);
/* Frees the handle; every pointer it handed out becomes invalid. */
void sw_ws_free(sw_ws *c);

/* Feeds bytes read from the peer. buf (required unless len is 0) is unmasked IN PLACE.
 * *consumed (may be NULL) is the number of bytes used: the connection stops after each event,
 * so drain sw_ws_poll_event (and sw_ws_poll_transmit), then call again with the rest.
 * In receive_mode 1, chunk events point into buf: keep it unchanged until they are read.
 * Returns SW_OK, SW_ERR_PROTOCOL (Close queued, then SW_EV_CLOSED), SW_ERR_EVENT_PENDING. */
int sw_ws_recv(sw_ws *c, uint64_t now_ns, uint8_t *buf, size_t len, size_t *consumed);

#define SW_EV_TEXT 1           /* a complete text message (UTF-8 validated) */
#define SW_EV_BINARY 2         /* a complete binary message */
#define SW_EV_TEXT_CHUNK 3     /* receive_mode 1: part of a text message; fin ends it */
#define SW_EV_BINARY_CHUNK 4   /* receive_mode 1: part of a binary message */
#define SW_EV_PING 5           /* a Ping (already answered when auto_pong) */
#define SW_EV_PONG 6           /* a Pong */
#define SW_EV_CLOSE_RECEIVED 7 /* the peer's Close: code (-1: none) and reason in data */
#define SW_EV_CLOSED 8         /* the connection is over: code, clean; always the last event.
                                * When a peer error failed it, data/len hold the error's text
                                * (also in sw_ws_last_error); otherwise len is 0. */

typedef struct sw_ws_event {
    int32_t kind;        /* SW_EV_* */
    int32_t fin;         /* chunks: 1 if this chunk ends the message */
    int32_t code;        /* close events: the close code, or -1 */
    int32_t clean;       /* SW_EV_CLOSED: 1 if both Close frames were exchanged */
    const uint8_t *data; /* borrowed (see the conventions); may be NULL when len is 0 */
    size_t len;
} sw_ws_event;

/* The next event: returns 1 and fills *ev (required), or 0 when there is none. */
int sw_ws_poll_event(sw_ws *c, sw_ws_event *ev);

/* sw_ws_recv then sw_ws_poll_event in one call, the fast path of a read loop: feeds bytes as
 * sw_ws_recv does and, when they complete an event, returns 1 with it in *ev (required);
 * returns 0 when they did not, or a negative code as sw_ws_recv (*consumed is set the same
 * way). Any further events are read with sw_ws_poll_event. */
int sw_ws_recv_event(sw_ws *c, uint64_t now_ns, uint8_t *buf, size_t len, size_t *consumed,
                     sw_ws_event *ev);

/* The next bytes to write, at most max of them (0: no cap): returns 1 with *ptr and *len
 * (both required) set, 0 when nothing is waiting. The bytes are borrowed. A short write is the
 * caller's to finish: keep the unwritten tail and write it before asking for more. */
int sw_ws_poll_transmit(sw_ws *c, size_t max, const uint8_t **ptr, size_t *len);

/* When to call sw_ws_handle_timeout next: returns 1 with *deadline_ns (required), 0 if no
 * timer is armed. With keepalive on it is due at once before the first input. */
int sw_ws_poll_timeout(sw_ws *c, uint64_t *deadline_ns);
/* Advances the timers (keepalive Ping, pong deadline, close timeout). */
int sw_ws_handle_timeout(sw_ws *c, uint64_t now_ns);
/* The peer closed its side of TCP (read returned 0). */
int sw_ws_handle_eof(sw_ws *c, uint64_t now_ns);
/* 1 when the caller should close TCP (everything transmitted), else 0. */
int sw_ws_should_close(sw_ws *c);

/* Commands: the bytes are copied; output appears in sw_ws_poll_transmit. */
int sw_ws_send_text(sw_ws *c, const uint8_t *data, size_t len);   /* UTF-8, else INVALID */
int sw_ws_send_binary(sw_ws *c, const uint8_t *data, size_t len);
int sw_ws_send_ping(sw_ws *c, const uint8_t *data, size_t len);   /* at most 125 bytes */
/* code 1000-1003, 1007-1014 or 3000-4999; reason UTF-8, at most 123 bytes. */
int sw_ws_send_close(sw_ws *c, uint16_t code, const uint8_t *reason, size_t len);

/* The handle's latest error message (borrowed; "" when none; never NULL). */
const char *sw_ws_last_error(const sw_ws *c);

/* ---- Opening handshake (RFC 6455 section 4) ---------------------------------------------- */

typedef struct sw_head_config {
    size_t max_head_len; /* longest head accepted (default 8192) */
    size_t max_headers;  /* most header fields accepted (default 128, at most 4096) */
} sw_head_config;

/* Writes the defaults into *cfg (required). */
int sw_head_config_init(sw_head_config *cfg);

/* Sec-WebSocket-Accept for key (len bytes, as sent): writes 28 bytes to out (required). */
int sw_accept_key(const uint8_t *key, size_t len, uint8_t *out);

typedef struct sw_hs_server sw_hs_server; /* opaque */

/* cfg may be NULL (defaults). Free with sw_hs_server_free. */
sw_hs_server *sw_hs_server_new(const sw_head_config *cfg);
void sw_hs_server_free(sw_hs_server *hs);

/* Parses and validates the request received so far (pass the whole buffer each time; the
 * work stays linear in the bytes received). protocols: the server's subprotocols (n_protocols
 * NUL-terminated strings, may be NULL when 0), in preference order.
 *   SW_PARTIAL        read more and call again;
 *   SW_OK             out holds the 101 response (*out_len bytes); *head_len is the request
 *                     head's length: bytes after it are the first WebSocket bytes (sw_ws_recv);
 *   SW_ERR_HANDSHAKE  refused: out holds the ready 400/426/431 response when it fits
 *                     (*out_len, else 0); write it and close;
 *   SW_ERR_BUFFER     out is too small for the 101; *out_len is the size needed.
 * out_len and head_len may be NULL. */
int sw_hs_server_parse(sw_hs_server *hs, const uint8_t *buf, size_t len,
                       const char *const *protocols, size_t n_protocols, uint8_t *out,
                       size_t out_cap, size_t *out_len, size_t *head_len);
/* After SW_OK: the chosen subprotocol ("" if none) and the request target (borrowed). */
const char *sw_hs_server_protocol(const sw_hs_server *hs);
const char *sw_hs_server_target(const sw_hs_server *hs);
const char *sw_hs_server_last_error(const sw_hs_server *hs);

typedef struct sw_hs_client sw_hs_client; /* opaque */

/* Builds the Upgrade request. host, target ("/path?query") and the 16-byte nonce (from an
 * unpredictable source) are required; protocols may be NULL when n_protocols is 0; cfg may be
 * NULL. Returns NULL on an invalid argument. Free with sw_hs_client_free. */
sw_hs_client *sw_hs_client_new(const char *host, const char *target, const uint8_t *nonce,
                               const char *const *protocols, size_t n_protocols,
                               const sw_head_config *cfg);
void sw_hs_client_free(sw_hs_client *hs);
/* The request bytes to write (borrowed, valid until sw_hs_client_free). */
int sw_hs_client_request(const sw_hs_client *hs, const uint8_t **ptr, size_t *len);
/* Parses and verifies the response received so far (whole buffer each time).
 *   SW_PARTIAL read more; SW_OK switched (*head_len: bytes after it go to sw_ws_recv);
 *   SW_ERR_HANDSHAKE refused (wrong accept, unoffered subprotocol or extension, not 101). */
int sw_hs_client_parse(sw_hs_client *hs, const uint8_t *buf, size_t len, size_t *head_len);
const char *sw_hs_client_protocol(const sw_hs_client *hs);
const char *sw_hs_client_last_error(const sw_hs_client *hs);

/* ---- Socket.IO v5 packet codec ----------------------------------------------------------- */

typedef struct sw_sio_decoder sw_sio_decoder; /* opaque */

typedef struct sw_sio_packet {
    int32_t kind;         /* 0 CONNECT .. 6 BINARY_ACK */
    const uint8_t *nsp;   /* namespace ("/" when absent) */
    size_t nsp_len;
    int32_t has_id;       /* 1 when the packet carries an ack id */
    uint64_t id;
    const uint8_t *data;  /* raw JSON payload (validated), NULL when absent */
    size_t data_len;
    const uint8_t *event; /* event name, unescaped (events only, else NULL) */
    size_t event_len;
    size_t attachments;   /* binary attachments: read with sw_sio_decoder_attachment */
} sw_sio_packet;
/* Packet pointers are borrowed from the decoder and, for a text packet, from the text passed
 * in (keep it unchanged while you use them). */

/* Caps; 0 keeps a default (1,000,000 bytes per packet, 10 attachments, JSON depth 128). */
sw_sio_decoder *sw_sio_decoder_new(size_t max_packet_bytes, size_t max_attachments,
                                   size_t max_depth);
void sw_sio_decoder_free(sw_sio_decoder *d);
/* One text message (the Socket.IO packet without the Engine.IO "4"). Returns 1 with *out
 * filled, 0 for a binary packet header (feed its attachments next), or SW_ERR_INVALID
 * (sw_sio_decoder_last_error says what and where; the decoder is reset). */
int sw_sio_decoder_feed_text(sw_sio_decoder *d, const char *text, size_t len,
                             sw_sio_packet *out);
/* One binary attachment: 1 with *out filled after the last one, 0 if more are expected. */
int sw_sio_decoder_feed_binary(sw_sio_decoder *d, const uint8_t *data, size_t len,
                               sw_sio_packet *out);
/* Attachment i (placeholder num) of the latest complete binary packet (borrowed). */
int sw_sio_decoder_attachment(const sw_sio_decoder *d, size_t i, const uint8_t **ptr,
                              size_t *len);
const char *sw_sio_decoder_last_error(const sw_sio_decoder *d);

/* Encodes an EVENT packet into out: namespace (NULL/empty: "/"), ack id when has_id, event
 * name, args_json a JSON array of the arguments (validated; NULL/empty: none). *out_len
 * (required) gets the length, or the size needed with SW_ERR_BUFFER. SW_ERR_INVALID for a
 * reserved event name or invalid JSON. The output is not NUL-terminated. */
int sw_sio_encode_event(const char *nsp, size_t nsp_len, int has_id, uint64_t id,
                        const char *event, size_t event_len, const char *args_json,
                        size_t args_len, char *out, size_t cap, size_t *out_len);

/* ---- Socket.IO v5 server ----------------------------------------------------------------- */
/*
 * A whole Socket.IO server (Engine.IO v4 polling, WebSocket and upgrade, heartbeat, namespaces,
 * rooms, acks, binary attachments) over raw TCP bytes. The host only moves bytes:
 *   on accept          sw_sio_server_handle_accept(s, now, conn)
 *   on read            sw_sio_server_handle_read(s, now, conn, buf, n)
 *   on EOF / error     sw_sio_server_handle_eof(s, now, conn)
 *   timer fired        sw_sio_server_handle_timeout(s, now)
 * then, after every input and every command:
 *   while (sw_sio_server_poll_transmit(s, &conn, &p, &n, &close) == 1) write p..n to conn,
 *                                                  then close conn if close;
 *   while (sw_sio_server_poll_event(s, &ev) == 1) the application reacts with commands;
 *   sw_sio_server_poll_timeout(s, &deadline) arms the one timer.
 * conn ids are the host's (never reused while open). Socket handles (ev.socket) are the
 * library's, never reused; a command on a disconnected socket returns SW_ERR_CLOSED.
 *
 * Queues are bounded. Events: max_events (default 4096). While the queue is full, a new
 * namespace connection is refused with CONNECT_ERROR "server busy" (counted as refused), and an
 * EVENT, ACK or ACK_TIMEOUT is dropped (counted as dropped; a dropped event's ack is never
 * answered); CONNECT and DISCONNECT of admitted sockets are never dropped (so the queue holds
 * at most max_events + one DISCONNECT per connected socket). Client acks awaiting
 * sw_sio_server_ack: max_pending_acks (default 4096); over it the event arrives with
 * has_ack = 0 (counted as dropped). Transmits are bounded by the endpoint's caps.
 */

typedef struct sw_sio_server sw_sio_server; /* opaque */

typedef struct sw_sio_server_config { /* 0 keeps each default */
    uint64_t ping_interval_ns;  /* Engine.IO heartbeat (default 25 s) */
    uint64_t ping_timeout_ns;   /* wait for the pong (default 20 s) */
    uint64_t max_connections;   /* open TCP connections (default: the endpoint's) */
    uint64_t max_events;        /* queued application events (default 4096) */
    uint64_t max_pending_acks;  /* client acks awaiting an answer (default 4096) */
    uint32_t write_pacing;      /* 1: report writes with sw_sio_server_handle_written */
} sw_sio_server_config;

#define SW_SIO_CONNECT 1     /* a socket joined nsp; json = handshake auth JSON ("" if none) */
#define SW_SIO_EVENT 2       /* name, json = arguments array; has_ack: answer with _ack */
#define SW_SIO_ACK 3         /* answer to an emit with timeout; ack_id, json = arguments */
#define SW_SIO_ACK_TIMEOUT 4 /* no answer to ack_id before its timeout */
#define SW_SIO_DISCONNECT 5  /* the socket left; name = reason ("client namespace disconnect",
                                "transport close", ...); json = the peer or transport error
                                that ended it as a JSON string ("" for an orderly end); its
                                handle is dead afterwards */

typedef struct sw_sio_server_event {
    int32_t kind;        /* SW_SIO_* */
    int32_t has_ack;     /* 1 when ack_id is set */
    uint64_t socket;     /* socket handle for the commands */
    uint64_t ack_id;
    const char *nsp;     /* namespace */
    const char *sid;     /* socket id (socket.id) */
    const char *name;    /* event name or disconnect reason; "" otherwise */
    const char *json;    /* JSON text (NUL-terminated), see the kinds */
    size_t json_len;
    size_t attachments;  /* binary attachments: sw_sio_server_event_attachment; in json they
                            are {"_placeholder":true,"num":i} */
} sw_sio_server_event;
/* Every string of an event is borrowed until the next call on the server. */

int sw_sio_server_config_init(sw_sio_server_config *cfg); /* zeroes = defaults */
/* cfg may be NULL. random (required) fills ids: it must draw from the OS or a CSPRNG; it and
 * user stay valid until sw_sio_server_free. NULL when random is NULL. */
sw_sio_server *sw_sio_server_new(const sw_sio_server_config *cfg, sw_random_fn random,
                                 void *user);
void sw_sio_server_free(sw_sio_server *s);

int sw_sio_server_handle_accept(sw_sio_server *s, uint64_t now_ns, uint64_t conn);
int sw_sio_server_handle_read(sw_sio_server *s, uint64_t now_ns, uint64_t conn,
                              const uint8_t *data, size_t len);
int sw_sio_server_handle_eof(sw_sio_server *s, uint64_t now_ns, uint64_t conn);
int sw_sio_server_handle_timeout(sw_sio_server *s, uint64_t now_ns);
/* With write_pacing: the last transmit of conn is fully written. */
int sw_sio_server_handle_written(sw_sio_server *s, uint64_t now_ns, uint64_t conn);

/* 1: write *len bytes at *data (borrowed until the next call on s; may be 0 bytes) to *conn,
 * then close it if *close; 0: nothing to write. Out pointers may be NULL. */
int sw_sio_server_poll_transmit(sw_sio_server *s, uint64_t *conn, const uint8_t **data,
                                size_t *len, int *close);
/* 1 with *deadline_ns (required) when handle_timeout is due next; 0: no timer. */
int sw_sio_server_poll_timeout(sw_sio_server *s, uint64_t *deadline_ns);
/* 1 with *out (required) filled; 0 when no event is queued. */
int sw_sio_server_poll_event(sw_sio_server *s, sw_sio_server_event *out);
/* Attachment i of the latest event (borrowed like it); SW_ERR_INVALID if none. */
int sw_sio_server_event_attachment(sw_sio_server *s, size_t i, const uint8_t **data,
                                   size_t *len);
/* Counters of the overflow policy (out pointers may be NULL). */
int sw_sio_server_stats(sw_sio_server *s, uint64_t *dropped, uint64_t *refused);
const char *sw_sio_server_last_error(const sw_sio_server *s);

/* Commands (between inputs; their bytes come out of poll_transmit). args is a JSON array of
 * the arguments, validated (NULL/0: none); SW_ERR_INVALID for bad JSON or a reserved/oversized
 * name, SW_ERR_CLOSED for a socket handle that is gone. */

/* To one socket. timeout_ns > 0 asks for an answer: *ack_id (may be NULL) gets its id and
 * SW_SIO_ACK or SW_SIO_ACK_TIMEOUT follows. */
int sw_sio_server_emit(sw_sio_server *s, uint64_t now_ns, uint64_t socket, const char *name,
                       const char *args, size_t args_len, uint64_t timeout_ns,
                       uint64_t *ack_id);
/* To namespace nsp (NULL: "/"), only room when not NULL, minus socket except when not 0.
 * Returns the number of recipients (>= 0). */
int sw_sio_server_broadcast(sw_sio_server *s, uint64_t now_ns, const char *nsp,
                            const char *room, uint64_t except, const char *name,
                            const char *args, size_t args_len);
/* Answers an SW_SIO_EVENT with has_ack (once). */
int sw_sio_server_ack(sw_sio_server *s, uint64_t now_ns, uint64_t socket, uint64_t ack_id,
                      const char *args, size_t args_len);
/* join != 0 joins room, else leaves it: 1 changed, 0 already so. */
int sw_sio_server_room(sw_sio_server *s, uint64_t now_ns, uint64_t socket, const char *room,
                       int join);
/* DISCONNECT to the client; SW_SIO_DISCONNECT follows. */
int sw_sio_server_disconnect(sw_sio_server *s, uint64_t now_ns, uint64_t socket);
/* Per-socket data (socket.data[key]): bytes, copied. get: 1 with *data and *len (borrowed until
 * the next call on s), 0 when unset. While a socket's SW_SIO_DISCONNECT is the current event
 * (until the next poll_event), get still reads its data as it left. */
int sw_sio_server_set(sw_sio_server *s, uint64_t socket, const char *key, const uint8_t *data,
                      size_t len);
int sw_sio_server_get(sw_sio_server *s, uint64_t socket, const char *key, const uint8_t **data,
                      size_t *len);

/* ---- ABI check --------------------------------------------------------------------------- */

/* sizeof of each public struct as Rust lays it out (1 sw_ws_config, 2 sw_ws_event,
 * 3 sw_head_config, 4 sw_sio_packet, 5 sw_sio_server_config, 6 sw_sio_server_event); 0 for another value. The tests compare it with C's. */
size_t sw_abi_struct_size(int which);

#ifdef __cplusplus
}
#endif

#endif /* SOCKWIRE_H */
