/*
 * Unit tests of the Socket.IO server of the sockwire C ABI (sw_sio_server_*): a full
 * Engine.IO polling handshake, Socket.IO CONNECT with auth, events with acks, rooms,
 * broadcast, per-socket data, emit with ack, heartbeat timers and disconnect, all on a fake
 * clock with a deterministic id source, asserting the bytes; then NULL and hostile arguments.
 * Built under ASan + UBSan (make test) and run under valgrind by tests/ci/61-capi-sio.sh.
 * Prints "N passed, M failed" and exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockwire.h"

static int passed, failed;
#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (cond) {                                                                 \
            passed++;                                                               \
        } else {                                                                    \
            failed++;                                                               \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);         \
        }                                                                           \
    } while (0)

#define MS 1000000ull

static void counter_random(void *user, uint8_t *out, size_t len) {
    unsigned *n = user;
    for (size_t i = 0; i < len; i++) out[i] = (uint8_t)(++*n * 131u);
}

/* Everything written to conn since the last call (other connections must be silent). */
static char out[65536];
static size_t out_len;
static int closed;
static void drain(sw_sio_server *s, uint64_t want) {
    uint64_t conn;
    const uint8_t *p;
    size_t len;
    int close;
    out_len = 0;
    closed = 0;
    while (sw_sio_server_poll_transmit(s, &conn, &p, &len, &close) == 1) {
        CHECK(conn == want);
        if (out_len + len < sizeof out) memcpy(out + out_len, p, len);
        out_len += len;
        closed |= close;
    }
    out[out_len < sizeof out ? out_len : 0] = 0;
}

/* The body of the HTTP response in `out`. */
static const char *body(void) {
    const char *b = strstr(out, "\r\n\r\n");
    return b ? b + 4 : "";
}

static uint64_t next_conn = 100;
/* One HTTP request on a fresh connection; the response is left in `out`. */
static void request(sw_sio_server *s, uint64_t now, const char *req) {
    uint64_t c = next_conn++;
    CHECK(sw_sio_server_handle_accept(s, now, c) == SW_OK);
    CHECK(sw_sio_server_handle_read(s, now, c, (const uint8_t *)req, strlen(req)) == SW_OK);
    drain(s, c);
    /* The client hangs up: the server closes its side, nothing else (`out` keeps the
     * response). */
    CHECK(sw_sio_server_handle_eof(s, now, c) == SW_OK);
    uint64_t conn = 0;
    size_t len = 1;
    int close = 0;
    CHECK(sw_sio_server_poll_transmit(s, &conn, NULL, &len, &close) == 1);
    CHECK(conn == c && len == 0 && close == 1);
    CHECK(sw_sio_server_poll_transmit(s, NULL, NULL, NULL, NULL) == 0);
}

static char sid[64];
static void post(sw_sio_server *s, uint64_t now, const char *payload) {
    char req[1024];
    snprintf(req, sizeof req,
             "POST /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\n"
             "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: %zu\r\n\r\n%s",
             sid, strlen(payload), payload);
    request(s, now, req);
    CHECK(strcmp(body(), "ok") == 0);
}
static void get(sw_sio_server *s, uint64_t now) {
    char req[512];
    snprintf(req, sizeof req,
             "GET /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\n\r\n", sid);
    request(s, now, req);
}

/* Opens a polling session and keeps its sid in `sid`; 0 when the handshake has none. */
static int open_session(sw_sio_server *s, uint64_t now) {
    request(s, now, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n");
    const char *b = body();
    const char *end = strchr(b + 9, '"');
    if (!end) return 0;
    memcpy(sid, b + 9, (size_t)(end - b - 9));
    sid[end - b - 9] = 0;
    return 1;
}

static int next_event(sw_sio_server *s, sw_sio_server_event *ev) {
    memset(ev, 0, sizeof *ev);
    return sw_sio_server_poll_event(s, ev);
}

static void test_abi(void) {
    CHECK(sw_abi_struct_size(5) == sizeof(sw_sio_server_config));
    CHECK(sw_abi_struct_size(6) == sizeof(sw_sio_server_event));
    sw_sio_server_config cfg;
    memset(&cfg, 0xff, sizeof cfg);
    CHECK(sw_sio_server_config_init(&cfg) == SW_OK);
    CHECK(cfg.ping_interval_ns == 0 && cfg.max_events == 0 && cfg.write_pacing == 0);
    CHECK(sw_sio_server_config_init(NULL) == SW_ERR_NULL);
    CHECK(sw_sio_server_new(NULL, NULL, NULL) == NULL);
    /* NULL handles everywhere. */
    CHECK(sw_sio_server_handle_accept(NULL, 0, 1) == SW_ERR_NULL);
    CHECK(sw_sio_server_handle_read(NULL, 0, 1, NULL, 0) == SW_ERR_NULL);
    CHECK(sw_sio_server_handle_eof(NULL, 0, 1) == SW_ERR_NULL);
    CHECK(sw_sio_server_handle_timeout(NULL, 0) == SW_ERR_NULL);
    CHECK(sw_sio_server_handle_written(NULL, 0, 1) == SW_ERR_NULL);
    CHECK(sw_sio_server_poll_transmit(NULL, NULL, NULL, NULL, NULL) == SW_ERR_NULL);
    CHECK(sw_sio_server_emit(NULL, 0, 1, "a", NULL, 0, 0, NULL) == SW_ERR_NULL);
    CHECK(strcmp(sw_sio_server_last_error(NULL), "") == 0);
    sw_sio_server_free(NULL);
}

static void test_session(void) {
    unsigned seed = 0;
    sw_sio_server_config cfg;
    sw_sio_server_config_init(&cfg);
    cfg.ping_interval_ns = 300 * MS;
    cfg.ping_timeout_ns = 200 * MS;
    sw_sio_server *s = sw_sio_server_new(&cfg, counter_random, &seed);
    CHECK(s != NULL);
    uint64_t t = 1000 * MS, deadline = 0;
    CHECK(sw_sio_server_poll_timeout(s, &deadline) == 0);

    /* Engine.IO open over polling. */
    request(s, t, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
    const char *b = body();
    CHECK(strncmp(b, "0{\"sid\":\"", 9) == 0);
    const char *end = strchr(b + 9, '"');
    CHECK(end && (size_t)(end - b - 9) < sizeof sid);
    if (!end) return;
    memcpy(sid, b + 9, (size_t)(end - b - 9));
    sid[end - b - 9] = 0;
    CHECK(strcmp(end, "\",\"upgrades\":[\"websocket\"],\"pingInterval\":300,"
                      "\"pingTimeout\":200,\"maxPayload\":1000000}") == 0);
    CHECK(sw_sio_server_poll_timeout(s, &deadline) == 1 && deadline > t);

    /* Socket.IO CONNECT with auth: the event, then the CONNECT answer on the next poll. */
    sw_sio_server_event ev;
    CHECK(next_event(s, &ev) == 0);
    post(s, t, "40{\"token\":\"abc\"}");
    CHECK(next_event(s, &ev) == 1);
    CHECK(ev.kind == SW_SIO_CONNECT && ev.has_ack == 0 && ev.socket != 0);
    CHECK(strcmp(ev.nsp, "/") == 0 && strcmp(ev.json, "{\"token\":\"abc\"}") == 0);
    CHECK(ev.json_len == 15 && strcmp(ev.name, "") == 0 && ev.attachments == 0);
    uint64_t sock = ev.socket;
    char ssid[64];
    snprintf(ssid, sizeof ssid, "%s", ev.sid);
    CHECK(strlen(ssid) == 20);
    CHECK(next_event(s, &ev) == 0);
    get(s, t);
    char want[256];
    snprintf(want, sizeof want, "40{\"sid\":\"%s\"}", ssid);
    CHECK(strcmp(body(), want) == 0);

    /* An event with an ack id: join a room, answer "ok". */
    post(s, t, "421[\"join\",\"lobby\"]");
    CHECK(next_event(s, &ev) == 1);
    CHECK(ev.kind == SW_SIO_EVENT && ev.socket == sock && strcmp(ev.name, "join") == 0);
    CHECK(ev.has_ack == 1 && ev.ack_id == 1 && strcmp(ev.json, "[\"lobby\"]") == 0);
    CHECK(sw_sio_server_room(s, t, sock, "lobby", 1) == 1);
    CHECK(sw_sio_server_room(s, t, sock, "lobby", 1) == 0);
    CHECK(sw_sio_server_ack(s, t, sock, 1, "[\"ok\"]", 6) == SW_OK);
    CHECK(sw_sio_server_ack(s, t, sock, 1, "[\"ok\"]", 6) == SW_ERR_INVALID); /* once */
    /* To the socket, to its room, to everyone, to everyone but it. */
    CHECK(sw_sio_server_emit(s, t, sock, "hi", "[1,{\"a\":[true]}]", 16, 0, NULL) == SW_OK);
    CHECK(sw_sio_server_broadcast(s, t, NULL, "lobby", 0, "room", "[\"x\"]", 5) == 1);
    CHECK(sw_sio_server_broadcast(s, t, "/", "nobody", 0, "room", NULL, 0) == 0);
    CHECK(sw_sio_server_broadcast(s, t, "/", NULL, 0, "all", NULL, 0) == 1);
    CHECK(sw_sio_server_broadcast(s, t, "/", NULL, sock, "others", NULL, 0) == 0);
    drain(s, 0); /* nothing goes out until the client polls */
    CHECK(out_len == 0);
    get(s, t);
    CHECK(strcmp(body(), "431[\"ok\"]\x1e" "42[\"hi\",1,{\"a\":[true]}]\x1e"
                         "42[\"room\",\"x\"]\x1e" "42[\"all\"]") == 0);

    /* Per-socket data. */
    const uint8_t *p;
    size_t len;
    CHECK(sw_sio_server_get(s, sock, "name", &p, &len) == 0);
    CHECK(sw_sio_server_set(s, sock, "name", (const uint8_t *)"ada\0x", 5) == SW_OK);
    CHECK(sw_sio_server_get(s, sock, "name", &p, &len) == 1 && len == 5 &&
          memcmp(p, "ada\0x", 5) == 0);
    CHECK(sw_sio_server_set(s, sock, "empty", NULL, 0) == SW_OK);
    CHECK(sw_sio_server_get(s, sock, "empty", &p, &len) == 1 && len == 0);

    /* A binary event: the placeholder stays in json, the bytes come as attachment 0. */
    post(s, t, "451-[\"file\",{\"_placeholder\":true,\"num\":0}]");
    CHECK(next_event(s, &ev) == 0); /* waits for its attachment */
    post(s, t, "bAQID"); /* base64 of 01 02 03 */
    CHECK(next_event(s, &ev) == 1);
    CHECK(ev.kind == SW_SIO_EVENT && strcmp(ev.name, "file") == 0 && ev.attachments == 1);
    CHECK(strcmp(ev.json, "[{\"_placeholder\":true,\"num\":0}]") == 0 && ev.has_ack == 0);
    CHECK(sw_sio_server_event_attachment(s, 0, &p, &len) == SW_OK && len == 3 &&
          memcmp(p, "\x01\x02\x03", 3) == 0);
    CHECK(sw_sio_server_event_attachment(s, 1, &p, &len) == SW_ERR_INVALID);

    /* An escaped NUL in an event name cannot end the C string early. */
    post(s, t, "42[\"a\\u0000b\",null]");
    CHECK(next_event(s, &ev) == 1);
    CHECK(ev.kind == SW_SIO_EVENT && strcmp(ev.name, "a\xef\xbf\xbd" "b") == 0);
    CHECK(strcmp(ev.json, "[null]") == 0 && ev.json_len == 6);

    /* Emit with ack: the answer, then a timeout. */
    uint64_t id = 99;
    CHECK(sw_sio_server_emit(s, t, sock, "ask", "[]", 2, 1000 * MS, &id) == SW_OK);
    get(s, t);
    snprintf(want, sizeof want, "42%llu[\"ask\"]", (unsigned long long)id);
    CHECK(strcmp(body(), want) == 0);
    snprintf(want, sizeof want, "43%llu[\"yes\",2]", (unsigned long long)id);
    post(s, t, want);
    CHECK(next_event(s, &ev) == 1);
    CHECK(ev.kind == SW_SIO_ACK && ev.has_ack && ev.ack_id == id &&
          strcmp(ev.json, "[\"yes\",2]") == 0);
    CHECK(sw_sio_server_emit(s, t, sock, "ask", NULL, 0, 50 * MS, &id) == SW_OK);
    get(s, t);
    t += 60 * MS;
    CHECK(sw_sio_server_poll_timeout(s, &deadline) == 1 && deadline <= t);
    CHECK(sw_sio_server_handle_timeout(s, t) == SW_OK);
    CHECK(next_event(s, &ev) == 1);
    CHECK(ev.kind == SW_SIO_ACK_TIMEOUT && ev.ack_id == id);

    /* More arguments than fit the library's stack array. */
    const char *ten = "[1,2,3,4,5,6,7,8,9,\"ten\"]";
    CHECK(sw_sio_server_emit(s, t, sock, "n", ten, strlen(ten), 0, NULL) == SW_OK);
    get(s, t);
    CHECK(strcmp(body(), "42[\"n\",1,2,3,4,5,6,7,8,9,\"ten\"]") == 0);

    /* Bad commands: invalid JSON, reserved names, NULLs, over-long lengths. */
    CHECK(sw_sio_server_emit(s, t, sock, "hi", "[1,", 3, 0, NULL) == SW_ERR_INVALID);
    CHECK(strlen(sw_sio_server_last_error(s)) > 0);
    CHECK(sw_sio_server_emit(s, t, sock, "hi", "{}", 2, 0, NULL) == SW_ERR_INVALID);
    CHECK(sw_sio_server_emit(s, t, sock, "hi", "[1] x", 5, 0, NULL) == SW_ERR_INVALID);
    CHECK(sw_sio_server_emit(s, t, sock, "hi", "[\"\xff\"]", 4, 0, NULL) == SW_ERR_INVALID);
    CHECK(sw_sio_server_emit(s, t, sock, "connect", NULL, 0, 0, NULL) == SW_ERR_INVALID);
    CHECK(sw_sio_server_emit(s, t, sock, NULL, NULL, 0, 0, NULL) == SW_ERR_NULL);
    CHECK(sw_sio_server_emit(s, t, sock, "hi", NULL, 3, 0, NULL) == SW_ERR_NULL);
    CHECK(sw_sio_server_emit(s, t, sock, "hi", "[]", (size_t)-1, 0, NULL) == SW_ERR_INVALID);
    CHECK(sw_sio_server_broadcast(s, t, NULL, NULL, 0, "x", "[", 1) == SW_ERR_INVALID);
    CHECK(sw_sio_server_broadcast(s, t, NULL, NULL, 0, NULL, NULL, 0) == SW_ERR_NULL);
    CHECK(sw_sio_server_room(s, t, sock, NULL, 1) == SW_ERR_NULL);
    CHECK(sw_sio_server_set(s, sock, NULL, NULL, 0) == SW_ERR_NULL);
    CHECK(sw_sio_server_get(s, sock, "name", NULL, &len) == SW_ERR_NULL);
    CHECK(sw_sio_server_handle_read(s, t, 5, NULL, 4) == SW_ERR_NULL);
    CHECK(sw_sio_server_poll_timeout(s, NULL) == SW_ERR_NULL);
    CHECK(sw_sio_server_poll_event(s, NULL) == SW_ERR_NULL);
    CHECK(sw_sio_server_emit(s, t, 12345, "hi", NULL, 0, 0, NULL) == SW_ERR_CLOSED);
    CHECK(sw_sio_server_ack(s, t, sock, 777, NULL, 0) == SW_ERR_INVALID);
    drain(s, 0);
    CHECK(out_len == 0);

    /* Disconnect: the client gets DISCONNECT, the app SW_SIO_DISCONNECT; the handle dies. */
    CHECK(sw_sio_server_disconnect(s, t, sock) == SW_OK);
    CHECK(next_event(s, &ev) == 1);
    CHECK(ev.kind == SW_SIO_DISCONNECT && ev.socket == sock &&
          strcmp(ev.name, "server namespace disconnect") == 0);
    CHECK(ev.json_len == 0 && strcmp(ev.json, "") == 0); /* an orderly end: no error */
    /* Its data stays readable while its DISCONNECT is the current event. */
    CHECK(sw_sio_server_get(s, sock, "name", &p, &len) == 1 && len == 5 &&
          memcmp(p, "ada\0x", 5) == 0);
    CHECK(sw_sio_server_get(s, sock, "nope", &p, &len) == 0);
    get(s, t);
    CHECK(strcmp(body(), "41") == 0);
    CHECK(sw_sio_server_disconnect(s, t, sock) == SW_ERR_CLOSED);
    CHECK(sw_sio_server_room(s, t, sock, "lobby", 1) == SW_ERR_CLOSED);
    CHECK(sw_sio_server_set(s, sock, "k", NULL, 0) == SW_ERR_CLOSED);
    CHECK(next_event(s, &ev) == 0); /* the DISCONNECT is no longer current */
    CHECK(sw_sio_server_get(s, sock, "name", &p, &len) == SW_ERR_CLOSED);

    /* The heartbeat: a ping after pingInterval; no pong closes the session. */
    post(s, t, "40");
    CHECK(next_event(s, &ev) == 1 && ev.kind == SW_SIO_CONNECT && ev.socket != sock);
    sock = ev.socket;
    get(s, t);
    CHECK(strncmp(body(), "40{\"sid\":\"", 10) == 0);
    for (int i = 0; i < 4 && sw_sio_server_poll_timeout(s, &deadline) == 1; i++) {
        t = deadline > t ? deadline : t;
        CHECK(sw_sio_server_handle_timeout(s, t) == SW_OK);
        drain(s, 0);
    }
    CHECK(next_event(s, &ev) == 1);
    CHECK(ev.kind == SW_SIO_DISCONNECT && ev.socket == sock &&
          strcmp(ev.name, "ping timeout") == 0 && ev.json_len == 0);
    CHECK(next_event(s, &ev) == 0);
    uint64_t dropped = 1, refused = 1;
    CHECK(sw_sio_server_stats(s, &dropped, &refused) == SW_OK && dropped == 0 && refused == 0);
    sw_sio_server_free(s);
}

/* The overflow policy: a full event queue drops events and refuses new sockets. */
static void test_overflow(void) {
    unsigned seed = 7;
    sw_sio_server_config cfg;
    sw_sio_server_config_init(&cfg);
    cfg.max_events = 2;
    sw_sio_server *s = sw_sio_server_new(&cfg, counter_random, &seed);
    uint64_t t = 0;
    if (!open_session(s, t)) { CHECK(0); sw_sio_server_free(s); return; }
    post(s, t, "40");
    post(s, t, "42[\"a\"]\x1e" "421[\"b\"]\x1e" "42[\"c\"]");
    post(s, t, "40/chat,");
    get(s, t);
    CHECK(strstr(body(), "44/chat,{\"message\":\"server busy\"}") != NULL);
    uint64_t dropped = 0, refused = 0;
    CHECK(sw_sio_server_stats(s, &dropped, &refused) == SW_OK && dropped == 2 && refused == 1);
    sw_sio_server_event ev;
    CHECK(next_event(s, &ev) == 1 && ev.kind == SW_SIO_CONNECT);
    uint64_t sock = ev.socket;
    CHECK(next_event(s, &ev) == 1 && ev.kind == SW_SIO_EVENT && strcmp(ev.name, "a") == 0);
    CHECK(next_event(s, &ev) == 0);
    CHECK(sw_sio_server_ack(s, t, sock, 1, NULL, 0) == SW_ERR_INVALID); /* dropped with "b" */
    /* The transport closes: the DISCONNECT is queued even when the queue is full again. */
    post(s, t, "42[\"d\"]\x1e" "42[\"e\"]\x1e" "42[\"f\"]");
    post(s, t, "1");
    CHECK(next_event(s, &ev) == 1 && strcmp(ev.name, "d") == 0);
    CHECK(next_event(s, &ev) == 1 && strcmp(ev.name, "e") == 0);
    CHECK(next_event(s, &ev) == 1 && ev.kind == SW_SIO_DISCONNECT && ev.socket == sock);
    CHECK(next_event(s, &ev) == 0);
    sw_sio_server_free(s);
}

/* A malformed packet: SW_SIO_DISCONNECT "parse error" carries the error as a JSON string. */
static void test_parse_error(void) {
    unsigned seed = 9;
    sw_sio_server *s = sw_sio_server_new(NULL, counter_random, &seed);
    uint64_t t = 0;
    if (!open_session(s, t)) { CHECK(0); sw_sio_server_free(s); return; }
    post(s, t, "40");
    sw_sio_server_event ev;
    CHECK(next_event(s, &ev) == 1 && ev.kind == SW_SIO_CONNECT);
    post(s, t, "42abc");
    CHECK(next_event(s, &ev) == 1 && ev.kind == SW_SIO_DISCONNECT &&
          strcmp(ev.name, "parse error") == 0);
    CHECK(ev.json_len > 13 && strncmp(ev.json, "\"socket.io: ", 12) == 0 &&
          ev.json[ev.json_len - 1] == '"' && strlen(ev.json) == ev.json_len);
    CHECK(next_event(s, &ev) == 0);
    sw_sio_server_free(s);
}

int main(void) {
    test_abi();
    test_session();
    test_parse_error();
    test_overflow();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
