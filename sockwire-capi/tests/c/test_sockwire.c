/*
 * Unit tests of the sockwire C ABI: every function of sockwire.h, every-split-point feeding,
 * short writes through the transmit cap, NULL and hostile arguments. Built and run under
 * AddressSanitizer and UndefinedBehaviorSanitizer by tests/ci/60-capi.sh.
 * Prints "N passed, M failed" and exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockwire.h"


/* 1 when data[0..len) contains the C string needle. */
static int has_text(const uint8_t *data, size_t len, const char *needle) {
    size_t m = strlen(needle);
    if (data == NULL) return 0;
    for (size_t i = 0; i + m <= len; i++) {
        if (memcmp(data + i, needle, m) == 0) return 1;
    }
    return 0;
}

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

static const char RFC_REQUEST[] =
    "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";
/* RFC 6455 section 5.7: a masked text frame "Hello". */
static const uint8_t MASKED_HELLO[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                       0x7f, 0x9f, 0x4d, 0x51, 0x58};

static void counter_random(void *user, uint8_t *out, size_t len) {
    unsigned *n = user;
    for (size_t i = 0; i < len; i++) out[i] = (uint8_t)(++*n * 131u);
}

/* Appends everything the connection wants to write to buf (at most cap bytes per call). */
static size_t drain_tx(sw_ws *c, size_t cap, uint8_t *buf, size_t room) {
    size_t n = 0;
    const uint8_t *p;
    size_t len;
    while (sw_ws_poll_transmit(c, cap, &p, &len) == 1) {
        if (cap) CHECK(len <= cap);
        if (n + len <= room) memcpy(buf + n, p, len);
        n += len;
    }
    return n;
}

static void test_basics(void) {
    CHECK(sw_abi_struct_size(1) == sizeof(sw_ws_config));
    CHECK(sw_abi_struct_size(2) == sizeof(sw_ws_event));
    CHECK(sw_abi_struct_size(3) == sizeof(sw_head_config));
    CHECK(sw_abi_struct_size(4) == sizeof(sw_sio_packet));
    CHECK(sw_abi_struct_size(99) == 0);
    for (int code = -9; code <= 1; code++) CHECK(sw_strerror(code) && sw_strerror(code)[0]);
    uint8_t out[28];
    CHECK(sw_accept_key((const uint8_t *)"dGhlIHNhbXBsZSBub25jZQ==", 24, out) == SW_OK);
    CHECK(memcmp(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28) == 0);
    CHECK(sw_accept_key(NULL, 24, out) == SW_ERR_NULL);
    CHECK(sw_accept_key((const uint8_t *)"x", 1, NULL) == SW_ERR_NULL);
    CHECK(sw_accept_key((const uint8_t *)"x", (size_t)-1, out) == SW_ERR_INVALID);
    sw_ws_config wc;
    CHECK(sw_ws_config_init(&wc) == SW_OK);
    CHECK(wc.max_message_size == 16u << 20 && wc.auto_pong == 1 && wc.keepalive_ns == 0);
    CHECK(sw_ws_config_init(NULL) == SW_ERR_NULL);
    sw_head_config hc;
    CHECK(sw_head_config_init(&hc) == SW_OK);
    CHECK(hc.max_head_len == 8192 && hc.max_headers == 128);
    CHECK(sw_head_config_init(NULL) == SW_ERR_NULL);
}

static void test_server_handshake(void) {
    size_t len = strlen(RFC_REQUEST);
    const char *protos[] = {"superchat", "chat"};
    uint8_t out[512];
    size_t out_len, head_len;
    /* Every strict prefix is partial; the whole head completes, fed the way a socket would. */
    sw_hs_server *hs = sw_hs_server_new(NULL);
    for (size_t n = 0; n < len; n++) {
        int r = sw_hs_server_parse(hs, (const uint8_t *)RFC_REQUEST, n, protos, 2, out,
                                   sizeof out, &out_len, &head_len);
        if (r != SW_PARTIAL) {
            CHECK(r == SW_PARTIAL);
            break;
        }
    }
    CHECK(sw_hs_server_parse(hs, (const uint8_t *)RFC_REQUEST, len, protos, 2, out, sizeof out,
                             &out_len, &head_len) == SW_OK);
    CHECK(head_len == len);
    CHECK(out_len > 12 && memcmp(out, "HTTP/1.1 101", 12) == 0);
    CHECK(memmem(out, out_len, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 50) != NULL);
    CHECK(strcmp(sw_hs_server_protocol(hs), "superchat") == 0);
    CHECK(strcmp(sw_hs_server_target(hs), "/chat") == 0);
    CHECK(strcmp(sw_hs_server_last_error(hs), "") == 0);
    sw_hs_server_free(hs);

    /* Output too small: nothing written, the size needed reported. */
    hs = sw_hs_server_new(NULL);
    CHECK(sw_hs_server_parse(hs, (const uint8_t *)RFC_REQUEST, len, NULL, 0, out, 20, &out_len,
                             &head_len) == SW_ERR_BUFFER);
    CHECK(out_len > 20);
    sw_hs_server_free(hs);

    /* Version 8 gets the ready 426 with the supported version. */
    char bad[512];
    strcpy(bad, RFC_REQUEST);
    char *v = strstr(bad, "Version: 13");
    v[9] = '0';
    v[10] = '8';
    hs = sw_hs_server_new(NULL);
    CHECK(sw_hs_server_parse(hs, (const uint8_t *)bad, strlen(bad), NULL, 0, out, sizeof out,
                             &out_len, &head_len) == SW_ERR_HANDSHAKE);
    CHECK(out_len > 12 && memcmp(out, "HTTP/1.1 426", 12) == 0);
    CHECK(memmem(out, out_len, "Sec-WebSocket-Version: 13", 25) != NULL);
    CHECK(strlen(sw_hs_server_last_error(hs)) > 0);
    sw_hs_server_free(hs);

    /* Caps: two headers at most gives 431. */
    sw_head_config hc;
    sw_head_config_init(&hc);
    hc.max_headers = 2;
    hs = sw_hs_server_new(&hc);
    CHECK(sw_hs_server_parse(hs, (const uint8_t *)RFC_REQUEST, len, NULL, 0, out, sizeof out,
                             &out_len, NULL) == SW_ERR_HANDSHAKE);
    CHECK(memcmp(out, "HTTP/1.1 431", 12) == 0);
    sw_hs_server_free(hs);

    CHECK(sw_hs_server_parse(NULL, NULL, 0, NULL, 0, NULL, 0, NULL, NULL) == SW_ERR_NULL);
    hs = sw_hs_server_new(NULL);
    CHECK(sw_hs_server_parse(hs, NULL, 5, NULL, 0, out, sizeof out, NULL, NULL) == SW_ERR_NULL);
    CHECK(sw_hs_server_parse(hs, (const uint8_t *)"G", 1, NULL, 3, out, sizeof out, NULL,
                             NULL) == SW_ERR_NULL);
    sw_hs_server_free(hs);
    sw_hs_server_free(NULL);
    CHECK(strcmp(sw_hs_server_protocol(NULL), "") == 0);
    CHECK(strcmp(sw_hs_server_target(NULL), "") == 0);
    CHECK(strcmp(sw_hs_server_last_error(NULL), "") == 0);
}

static void test_client_handshake(void) {
    const uint8_t nonce[16] = "the sample nonce";
    const char *protos[] = {"chat"};
    sw_hs_client *c = sw_hs_client_new("server.example.com", "/chat", nonce, protos, 1, NULL);
    CHECK(c != NULL);
    const uint8_t *req;
    size_t req_len;
    CHECK(sw_hs_client_request(c, &req, &req_len) == SW_OK);
    CHECK(memmem(req, req_len, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", 43) != NULL);
    /* The server answers it; the client verifies the answer, fed prefix by prefix. */
    sw_hs_server *s = sw_hs_server_new(NULL);
    uint8_t resp[512];
    size_t resp_len, head_len;
    CHECK(sw_hs_server_parse(s, req, req_len, protos, 1, resp, sizeof resp, &resp_len,
                             &head_len) == SW_OK);
    for (size_t n = 0; n < resp_len; n++)
        if (sw_hs_client_parse(c, resp, n, &head_len) != SW_PARTIAL) {
            CHECK(!"a strict prefix of the response completed");
            break;
        }
    CHECK(sw_hs_client_parse(c, resp, resp_len, &head_len) == SW_OK);
    CHECK(head_len == resp_len);
    CHECK(strcmp(sw_hs_client_protocol(c), "chat") == 0);
    sw_hs_client_free(c);
    sw_hs_server_free(s);

    /* A wrong accept value is refused. */
    c = sw_hs_client_new("h", "/", nonce, NULL, 0, NULL);
    const char *wrong = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                        "AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
    CHECK(sw_hs_client_parse(c, (const uint8_t *)wrong, strlen(wrong), &head_len) ==
          SW_ERR_HANDSHAKE);
    CHECK(strlen(sw_hs_client_last_error(c)) > 0);
    sw_hs_client_free(c);

    CHECK(sw_hs_client_new(NULL, "/", nonce, NULL, 0, NULL) == NULL);
    CHECK(sw_hs_client_new("h", "/", NULL, NULL, 0, NULL) == NULL);
    CHECK(sw_hs_client_new("h", "/", nonce, NULL, 2, NULL) == NULL);
    CHECK(sw_hs_client_new("bad host\r\n", "/", nonce, NULL, 0, NULL) == NULL);
    CHECK(sw_hs_client_request(NULL, &req, &req_len) == SW_ERR_NULL);
    CHECK(sw_hs_client_parse(NULL, NULL, 0, NULL) == SW_ERR_NULL);
    sw_hs_client_free(NULL);
    CHECK(strcmp(sw_hs_client_protocol(NULL), "") == 0);
    CHECK(strcmp(sw_hs_client_last_error(NULL), "") == 0);
}

/* Feeds wire to a server in two chunks split at `split`; returns the text it received. */
static int feed_split(const uint8_t *wire, size_t len, size_t split, char *got, size_t *got_len) {
    sw_ws *s = sw_ws_new_server(NULL);
    uint8_t buf[256];
    memcpy(buf, wire, len);
    size_t parts[2][2] = {{0, split}, {split, len}};
    *got_len = 0;
    int events = 0;
    for (int k = 0; k < 2; k++) {
        size_t at = parts[k][0];
        while (at < parts[k][1]) {
            size_t used = 0;
            int r = sw_ws_recv(s, 1000, buf + at, parts[k][1] - at, &used);
            if (r != SW_OK) { sw_ws_free(s); return -1; }
            at += used;
            sw_ws_event ev;
            while (sw_ws_poll_event(s, &ev) == 1) {
                if (ev.kind == SW_EV_TEXT) {
                    memcpy(got + *got_len, ev.data, ev.len);
                    *got_len += ev.len;
                    events++;
                }
            }
        }
    }
    sw_ws_free(s);
    return events;
}

static void test_connection(void) {
    /* Every split point of the RFC's masked "Hello" gives the same single message. */
    for (size_t split = 0; split <= sizeof MASKED_HELLO; split++) {
        char got[64];
        size_t n;
        CHECK(feed_split(MASKED_HELLO, sizeof MASKED_HELLO, split, got, &n) == 1);
        CHECK(n == 5 && memcmp(got, "Hello", 5) == 0);
    }
    /* Server output, byte-exact, whole and through a 1-byte cap (short writes). */
    sw_ws *s = sw_ws_new_server(NULL);
    CHECK(sw_ws_send_text(s, (const uint8_t *)"Hello", 5) == SW_OK);
    uint8_t out[64];
    size_t n = drain_tx(s, 0, out, sizeof out);
    CHECK(n == 7 && memcmp(out, "\x81\x05Hello", 7) == 0);
    uint8_t big[300];
    memset(big, 'x', sizeof big);
    CHECK(sw_ws_send_binary(s, big, sizeof big) == SW_OK);
    uint8_t out2[400];
    n = drain_tx(s, 1, out2, sizeof out2);
    CHECK(n == 304 && out2[0] == 0x82 && out2[1] == 126 && out2[2] == 1 && out2[3] == 44);
    CHECK(memcmp(out2 + 4, big, sizeof big) == 0);
    n = drain_tx(s, 7, out2, sizeof out2);
    CHECK(n == 0);

    /* A client masks; the server unmasks; ping is answered; the closing handshake completes. */
    unsigned seed = 0;
    sw_ws *c = sw_ws_new_client(NULL, counter_random, &seed);
    CHECK(c != NULL);
    CHECK(sw_ws_send_ping(c, (const uint8_t *)"p", 1) == SW_OK);
    CHECK(sw_ws_send_text(c, (const uint8_t *)"hi", 2) == SW_OK);
    CHECK(sw_ws_send_close(c, 1000, (const uint8_t *)"bye", 3) == SW_OK);
    uint8_t wire[128];
    size_t wire_len = drain_tx(c, 3, wire, sizeof wire);
    CHECK(wire[1] & 0x80); /* masked */
    sw_ws *sv = sw_ws_new_server(NULL);
    size_t at = 0;
    int saw_ping = 0, saw_text = 0, saw_close = 0, saw_closed = 0;
    while (at < wire_len) {
        size_t used;
        CHECK(sw_ws_recv(sv, 5, wire + at, wire_len - at, &used) == SW_OK);
        at += used;
        sw_ws_event ev;
        while (sw_ws_poll_event(sv, &ev) == 1) {
            if (ev.kind == SW_EV_PING) saw_ping = ev.len == 1 && ev.data[0] == 'p';
            if (ev.kind == SW_EV_TEXT) saw_text = ev.len == 2 && memcmp(ev.data, "hi", 2) == 0;
            if (ev.kind == SW_EV_CLOSE_RECEIVED)
                saw_close = ev.code == 1000 && ev.len == 3 && memcmp(ev.data, "bye", 3) == 0;
            if (ev.kind == SW_EV_CLOSED) saw_closed = ev.code == 1000 && ev.clean == 1;
        }
    }
    CHECK(saw_ping && saw_text && saw_close);
    uint8_t reply[64];
    size_t reply_len = drain_tx(sv, 0, reply, sizeof reply);
    CHECK(reply_len == 3 + 7); /* the Pong "p", then the Close echoing 1000 "bye" */
    CHECK(reply[0] == 0x8a && reply[3] == 0x88);
    CHECK(sw_ws_should_close(sv) == 1);
    sw_ws_event ev;
    while (sw_ws_poll_event(sv, &ev) == 1)
        if (ev.kind == SW_EV_CLOSED) saw_closed = ev.code == 1000 && ev.clean == 1;
    CHECK(saw_closed);
    /* The client reads the Pong and the Close reply. */
    at = 0;
    int closed = 0;
    while (at < reply_len) {
        size_t used;
        CHECK(sw_ws_recv(c, 6, reply + at, reply_len - at, &used) == SW_OK);
        at += used;
        while (sw_ws_poll_event(c, &ev) == 1) closed |= ev.kind == SW_EV_CLOSED;
    }
    CHECK(sw_ws_send_text(c, (const uint8_t *)"late", 4) == SW_ERR_CLOSED);
    sw_ws_handle_eof(c, 7);
    while (sw_ws_poll_event(c, &ev) == 1) closed |= ev.kind == SW_EV_CLOSED;
    CHECK(closed);
    sw_ws_free(c);
    sw_ws_free(sv);

    /* An unmasked client frame is a protocol error: 1002 is queued, then CLOSED. */
    uint8_t unmasked[] = {0x81, 0x02, 'h', 'i'};
    size_t used;
    CHECK(sw_ws_recv(s, 8, unmasked, sizeof unmasked, &used) == SW_ERR_PROTOCOL);
    CHECK(strlen(sw_ws_last_error(s)) > 0);
    n = drain_tx(s, 0, out, sizeof out);
    CHECK(n >= 4 && out[0] == 0x88 && out[2] == 0x03 && out[3] == 0xea);
    CHECK(sw_ws_poll_event(s, &ev) == 1 && ev.kind == SW_EV_CLOSED && ev.code == 1002);
    /* The terminal event carries the error's text. */
    CHECK(has_text(ev.data, ev.len, "unmasked frame"));
    CHECK(strcmp(sw_ws_last_error(s), "") != 0);
    sw_ws_free(s);

    /* Pending events must be drained first. */
    s = sw_ws_new_server(NULL);
    uint8_t two[22];
    memcpy(two, MASKED_HELLO, 11);
    memcpy(two + 11, MASKED_HELLO, 11);
    CHECK(sw_ws_recv(s, 1, two, 22, &used) == SW_OK && used == 11);
    CHECK(sw_ws_recv(s, 1, two + 11, 11, &used) == SW_ERR_EVENT_PENDING && used == 0);
    CHECK(sw_ws_poll_event(s, &ev) == 1 && ev.kind == SW_EV_TEXT);
    CHECK(sw_ws_recv(s, 1, two + 11, 11, &used) == SW_OK && used == 11);
    CHECK(sw_ws_poll_event(s, &ev) == 1 && ev.kind == SW_EV_TEXT);
    /* Commands refuse bad arguments. */
    CHECK(sw_ws_send_text(s, (const uint8_t *)"\xff", 1) == SW_ERR_INVALID);
    CHECK(sw_ws_send_close(s, 1005, NULL, 0) == SW_ERR_INVALID);
    uint8_t long_ping[126] = {0};
    CHECK(sw_ws_send_ping(s, long_ping, sizeof long_ping) == SW_ERR_INVALID);
    CHECK(sw_ws_send_text(s, NULL, 3) == SW_ERR_NULL);
    sw_ws_free(s);

    /* Keepalive runs from construction; EOF before a closing handshake is 1006. */
    sw_ws_config cfg;
    sw_ws_config_init(&cfg);
    cfg.keepalive_ns = 10000;
    cfg.pong_timeout_ns = 3000;
    s = sw_ws_new_server(&cfg);
    uint64_t d;
    CHECK(sw_ws_poll_timeout(s, &d) == 1 && d == 0);
    CHECK(sw_ws_handle_timeout(s, 100) == SW_OK);
    CHECK(sw_ws_poll_timeout(s, &d) == 1 && d == 10100);
    CHECK(sw_ws_handle_timeout(s, 10100) == SW_OK);
    n = drain_tx(s, 0, out, sizeof out);
    CHECK(n == 2 && out[0] == 0x89);
    CHECK(sw_ws_handle_eof(s, 10200) == SW_OK);
    CHECK(sw_ws_poll_event(s, &ev) == 1 && ev.kind == SW_EV_CLOSED && ev.code == 1006 &&
          ev.clean == 0);
    CHECK(ev.len == 0); /* an EOF is no error */
    CHECK(sw_ws_poll_timeout(s, &d) == 0);
    sw_ws_free(s);

    /* No Pong within pong_timeout: CLOSED 1006 carrying the error, which sw_ws_recv never
     * returned. */
    s = sw_ws_new_server(&cfg);
    CHECK(sw_ws_handle_timeout(s, 100) == SW_OK);
    CHECK(sw_ws_handle_timeout(s, 10100) == SW_OK);
    n = drain_tx(s, 0, out, sizeof out);
    CHECK(n == 2 && out[0] == 0x89);
    CHECK(sw_ws_handle_timeout(s, 13100) == SW_OK);
    CHECK(sw_ws_poll_event(s, &ev) == 1 && ev.kind == SW_EV_CLOSED && ev.code == 1006);
    CHECK(has_text(ev.data, ev.len, "pong"));
    CHECK(has_text((const uint8_t *)sw_ws_last_error(s), strlen(sw_ws_last_error(s)), "pong"));
    sw_ws_free(s);

    /* Stream mode: chunks point into the caller's buffer. */
    cfg.keepalive_ns = 0;
    cfg.receive_mode = 1;
    s = sw_ws_new_server(&cfg);
    uint8_t hello[11];
    memcpy(hello, MASKED_HELLO, 11);
    size_t total = 0;
    int fin = 0;
    at = 0;
    while (at < 11) {
        CHECK(sw_ws_recv(s, 1, hello + at, 11 - at, &used) == SW_OK);
        at += used;
        while (sw_ws_poll_event(s, &ev) == 1) {
            CHECK(ev.kind == SW_EV_TEXT_CHUNK);
            CHECK(ev.len == 0 || (ev.data >= hello && ev.data + ev.len <= hello + 11));
            if (ev.len) CHECK(memcmp(ev.data, "Hello" + total, ev.len) == 0);
            total += ev.len;
            fin |= ev.fin;
        }
    }
    CHECK(total == 5 && fin);
    sw_ws_free(s);

    /* sw_ws_recv_event: every split point gives "Hello" once, from the call that completes it. */
    for (size_t split = 0; split <= sizeof MASKED_HELLO; split++) {
        uint8_t w[sizeof MASKED_HELLO];
        memcpy(w, MASKED_HELLO, sizeof w);
        s = sw_ws_new_server(NULL);
        int events = 0;
        size_t parts[2] = {split, sizeof w - split}, off = 0;
        for (int k = 0; k < 2; k++) {
            size_t left = parts[k];
            while (left > 0) {
                int r = sw_ws_recv_event(s, 1, w + off, left, &used, &ev);
                CHECK(r == 0 || r == 1);
                if (r == 1) {
                    events++;
                    CHECK(ev.kind == SW_EV_TEXT && ev.len == 5 && memcmp(ev.data, "Hello", 5) == 0);
                }
                CHECK(used <= left);
                off += used;
                left -= used;
                if (used == 0) break;
            }
        }
        CHECK(events == 1 && off == sizeof w);
        CHECK(sw_ws_poll_event(s, &ev) == 0);
        sw_ws_free(s);
    }
    /* ... and reports errors as sw_ws_recv does, with *consumed 0. */
    s = sw_ws_new_server(NULL);
    used = 99;
    CHECK(sw_ws_recv_event(s, 1, unmasked, sizeof unmasked, &used, &ev) == SW_ERR_PROTOCOL);
    CHECK(used == 0);
    CHECK(sw_ws_poll_event(s, &ev) == 1 && ev.kind == SW_EV_CLOSED && ev.code == 1002);
    CHECK(sw_ws_recv_event(s, 1, NULL, 0, &used, NULL) == SW_ERR_NULL);
    sw_ws_free(s);

    /* NULL handles and outputs. */
    const uint8_t *p;
    CHECK(sw_ws_recv_event(NULL, 0, NULL, 0, NULL, &ev) == SW_ERR_NULL);
    CHECK(sw_ws_recv(NULL, 0, NULL, 0, NULL) == SW_ERR_NULL);
    CHECK(sw_ws_poll_event(NULL, &ev) == SW_ERR_NULL);
    CHECK(sw_ws_poll_transmit(NULL, 0, &p, &n) == SW_ERR_NULL);
    CHECK(sw_ws_poll_timeout(NULL, &d) == SW_ERR_NULL);
    CHECK(sw_ws_handle_timeout(NULL, 0) == SW_ERR_NULL);
    CHECK(sw_ws_handle_eof(NULL, 0) == SW_ERR_NULL);
    CHECK(sw_ws_should_close(NULL) == SW_ERR_NULL);
    CHECK(sw_ws_send_binary(NULL, NULL, 0) == SW_ERR_NULL);
    CHECK(sw_ws_send_ping(NULL, NULL, 0) == SW_ERR_NULL);
    CHECK(sw_ws_send_close(NULL, 1000, NULL, 0) == SW_ERR_NULL);
    CHECK(strcmp(sw_ws_last_error(NULL), "") == 0);
    CHECK(sw_ws_new_client(NULL, NULL, NULL) == NULL);
    sw_ws_free(NULL);
}

static void test_socketio(void) {
    sw_sio_decoder *d = sw_sio_decoder_new(0, 0, 0);
    sw_sio_packet p;
    const char *ev = "2/chat,7[\"post\",{\"text\":\"hi\"},3]";
    CHECK(sw_sio_decoder_feed_text(d, ev, strlen(ev), &p) == 1);
    CHECK(p.kind == 2 && p.nsp_len == 5 && memcmp(p.nsp, "/chat", 5) == 0);
    CHECK(p.has_id == 1 && p.id == 7);
    CHECK(p.event_len == 4 && memcmp(p.event, "post", 4) == 0);
    CHECK(p.data_len == strlen("[\"post\",{\"text\":\"hi\"},3]"));
    CHECK(p.attachments == 0);
    /* A binary event: the header, then one attachment. */
    const char *bin = "51-[\"file\",{\"_placeholder\":true,\"num\":0}]";
    CHECK(sw_sio_decoder_feed_text(d, bin, strlen(bin), &p) == 0);
    const uint8_t att[3] = {1, 2, 3};
    CHECK(sw_sio_decoder_feed_binary(d, att, 3, &p) == 1);
    CHECK(p.kind == 5 && p.attachments == 1 && p.nsp_len == 1);
    const uint8_t *ap;
    size_t alen;
    CHECK(sw_sio_decoder_attachment(d, 0, &ap, &alen) == SW_OK && alen == 3 && ap[2] == 3);
    CHECK(sw_sio_decoder_attachment(d, 1, &ap, &alen) == SW_ERR_INVALID);
    /* Hostile input: the placeholder beyond the count, a non-digit count, bad JSON. */
    const char *bad[] = {"51-[\"f\",{\"_placeholder\":true,\"num\":1}]", "5x-[\"f\"]",
                         "2[\"a\",{]", "9", "", "2[\"connect\"]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int r = sw_sio_decoder_feed_text(d, bad[i], strlen(bad[i]), &p);
        if (r == 0) r = sw_sio_decoder_feed_binary(d, att, 3, &p);
        CHECK(r == SW_ERR_INVALID);
        CHECK(strlen(sw_sio_decoder_last_error(d)) > 0);
    }
    CHECK(sw_sio_decoder_feed_text(d, "\xff", 1, &p) == SW_ERR_INVALID);
    CHECK(sw_sio_decoder_feed_text(NULL, "2", 1, &p) == SW_ERR_NULL);
    CHECK(sw_sio_decoder_feed_binary(d, att, 3, NULL) == SW_ERR_NULL);
    CHECK(sw_sio_decoder_attachment(NULL, 0, &ap, &alen) == SW_ERR_NULL);
    CHECK(strcmp(sw_sio_decoder_last_error(NULL), "") == 0);
    sw_sio_decoder_free(d);
    sw_sio_decoder_free(NULL);
    /* A tiny packet cap is enforced. */
    d = sw_sio_decoder_new(8, 1, 4);
    CHECK(sw_sio_decoder_feed_text(d, ev, strlen(ev), &p) == SW_ERR_INVALID);
    sw_sio_decoder_free(d);

    char out[128];
    size_t n;
    const char *args = "[{\"text\": \"hi\"}, 3]";
    CHECK(sw_sio_encode_event("/chat", 5, 1, 7, "post", 4, args, strlen(args), out, sizeof out,
                              &n) == SW_OK);
    CHECK(n == strlen(ev) && memcmp(out, ev, n) == 0);
    CHECK(sw_sio_encode_event(NULL, 0, 0, 0, "ping", 4, NULL, 0, out, sizeof out, &n) == SW_OK);
    CHECK(n == 9 && memcmp(out, "2[\"ping\"]", 9) == 0);
    CHECK(sw_sio_encode_event(NULL, 0, 0, 0, "post", 4, args, strlen(args), out, 4, &n) ==
          SW_ERR_BUFFER);
    CHECK(n == strlen("2[\"post\",{\"text\":\"hi\"},3]"));
    CHECK(sw_sio_encode_event(NULL, 0, 0, 0, "connect", 7, NULL, 0, out, sizeof out, &n) ==
          SW_ERR_INVALID);
    CHECK(sw_sio_encode_event(NULL, 0, 0, 0, "x", 1, "[1,", 3, out, sizeof out, &n) ==
          SW_ERR_INVALID);
    CHECK(sw_sio_encode_event(NULL, 0, 0, 0, "x", 1, NULL, 0, out, sizeof out, NULL) ==
          SW_ERR_NULL);
}

int main(void) {
    test_basics();
    test_server_handshake();
    test_client_handshake();
    test_connection();
    test_socketio();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
