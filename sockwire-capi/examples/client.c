/*
 * client.c: a WebSocket client over the sockwire C ABI. Connects to 127.0.0.1:PORT, sends each
 * line of standard input as a text message and prints every message it receives; closes with
 * 1000 at end of input.
 *
 *   ./client PORT [PATH]        e.g. printf 'hello\n' | ./client 9002
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockwire.h"

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Mask keys and the handshake nonce come from the kernel's random source. */
static void urandom(void *user, uint8_t *out, size_t len) {
    FILE *f = user;
    if (fread(out, 1, len, f) != len) memset(out, 0x5a, len);
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes what the connection queued and prints what it received; 1 once it is over. */
static int drain(sw_ws *c, int fd) {
    const uint8_t *p;
    size_t n;
    sw_ws_event ev;
    int over = 0;
    for (;;) {
        int any = 0;
        while (sw_ws_poll_transmit(c, 0, &p, &n) == 1) {
            if (write_all(fd, p, n) < 0) return 1;
            any = 1;
        }
        while (sw_ws_poll_event(c, &ev) == 1) {
            any = 1;
            if (ev.kind == SW_EV_TEXT) printf("< %.*s\n", (int)ev.len, (const char *)ev.data);
            if (ev.kind == SW_EV_BINARY) printf("< (%zu binary bytes)\n", ev.len);
            if (ev.kind == SW_EV_CLOSED) {
                printf("closed: %d%s\n", ev.code, ev.clean ? " (clean)" : "");
                over = 1;
            }
        }
        if (!any) break;
    }
    fflush(stdout);
    return over || sw_ws_should_close(c);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: client PORT [PATH]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    const char *path = argc > 2 ? argv[2] : "/";
    FILE *rnd = fopen("/dev/urandom", "rb");
    if (!rnd) return 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("connect");
        return 1;
    }
    /* 1. The opening handshake. */
    uint8_t nonce[16];
    urandom(rnd, nonce, sizeof nonce);
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", port);
    sw_hs_client *hs = sw_hs_client_new(host, path, nonce, NULL, 0, NULL);
    const uint8_t *req;
    size_t req_len;
    sw_hs_client_request(hs, &req, &req_len);
    if (!hs || write_all(fd, req, req_len) < 0) return 1;
    static uint8_t buf[65536];
    size_t have = 0, head_len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, sizeof buf - have);
        if (r <= 0) return 1;
        have += (size_t)r;
        int s = sw_hs_client_parse(hs, buf, have, &head_len);
        if (s == SW_OK) break;
        if (s != SW_PARTIAL) {
            fprintf(stderr, "handshake refused: %s\n", sw_hs_client_last_error(hs));
            return 1;
        }
    }
    sw_hs_client_free(hs);
    /* 2. The connection: the bytes after the response head are already WebSocket bytes. */
    sw_ws *c = sw_ws_new_client(NULL, urandom, rnd);
    size_t at = head_len;
    int over = 0;
    struct pollfd pfd[2] = {{fd, POLLIN, 0}, {0, POLLIN, 0}};
    int stdin_open = 1;
    while (!over) {
        while (at < have && !over) {
            size_t used = 0;
            sw_ws_recv(c, now_ns(), buf + at, have - at, &used);
            at += used;
            over = drain(c, fd);
        }
        if (over) break;
        at = have = 0;
        uint64_t deadline;
        int timeout = -1;
        if (sw_ws_poll_timeout(c, &deadline) == 1) {
            uint64_t now = now_ns();
            timeout = deadline > now ? (int)((deadline - now) / 1000000u) + 1 : 0;
        }
        if (poll(pfd, stdin_open ? 2 : 1, timeout) < 0 && errno != EINTR) break;
        if (pfd[0].revents & (POLLIN | POLLHUP)) {
            ssize_t r = read(fd, buf, sizeof buf);
            if (r <= 0) {
                sw_ws_handle_eof(c, now_ns());
                drain(c, fd);
                break;
            }
            have = (size_t)r;
        }
        if (stdin_open && (pfd[1].revents & (POLLIN | POLLHUP))) {
            char line[4096];
            if (fgets(line, sizeof line, stdin)) {
                size_t n = strcspn(line, "\n");
                sw_ws_send_text(c, (const uint8_t *)line, n);
            } else {
                stdin_open = 0;
                sw_ws_send_close(c, 1000, NULL, 0);
            }
        }
        sw_ws_handle_timeout(c, now_ns());
        over = drain(c, fd);
    }
    sw_ws_free(c);
    fclose(rnd);
    close(fd);
    return 0;
}
