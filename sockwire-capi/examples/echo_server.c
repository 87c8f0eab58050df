/*
 * echo_server.c: a WebSocket echo server on poll(2), one thread, many connections, over the
 * sockwire C ABI. Every protocol decision is the library's; this file moves bytes, keeps the
 * clock and arms timers.
 *
 *   ./echo_server [PORT]      (listens on 127.0.0.1, default 9002; Autobahn's target)
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockwire.h"

#define MAX_CONNS 1024
#define HEAD_CAP 8192
#define READ_CAP (256 * 1024)

struct conn {
    int fd;
    sw_hs_server *hs;    /* while the handshake is running */
    uint8_t head[HEAD_CAP];
    size_t head_len;
    sw_ws *ws;           /* after it */
    uint8_t *out;        /* unwritten output (a short write's tail) */
    size_t out_len, out_cap;
    int closing;         /* close once the output is written */
    uint64_t linger_until; /* after our FIN: wait for the peer's, so unread data cannot turn
                              the close into a reset */
};

static struct conn *conns[MAX_CONNS];
static volatile sig_atomic_t stop; /* SIGTERM / SIGINT: free everything and exit 0 */

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}
static uint8_t readbuf[READ_CAP];

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void drop(int i) {
    struct conn *c = conns[i];
    close(c->fd);
    sw_hs_server_free(c->hs);
    sw_ws_free(c->ws);
    free(c->out);
    free(c);
    conns[i] = NULL;
}

/* Queues bytes behind anything unwritten, then writes as much as the socket takes. */
static int send_bytes(struct conn *c, const uint8_t *p, size_t n) {
    if (c->out_len == 0) {
        while (n > 0) {
            ssize_t w = write(c->fd, p, n);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            if (w < 0) return -1;
            p += w;
            n -= (size_t)w;
        }
    }
    if (n > 0) {
        if (c->out_len + n > c->out_cap) {
            size_t cap = (c->out_len + n) * 2;
            uint8_t *q = realloc(c->out, cap);
            if (!q) return -1;
            c->out = q;
            c->out_cap = cap;
        }
        memcpy(c->out + c->out_len, p, n);
        c->out_len += n;
    }
    return 0;
}

static int flush_out(struct conn *c) {
    size_t done = 0;
    while (done < c->out_len) {
        ssize_t w = write(c->fd, c->out + done, c->out_len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (w < 0) return -1;
        done += (size_t)w;
    }
    memmove(c->out, c->out + done, c->out_len - done);
    c->out_len -= done;
    return 0;
}

/* Drains transmit, then events (echoing messages), until both are empty. */
static int drain(struct conn *c) {
    for (;;) {
        const uint8_t *p;
        size_t n;
        int any = 0;
        while (sw_ws_poll_transmit(c->ws, 0, &p, &n) == 1) {
            if (send_bytes(c, p, n) < 0) return -1;
            any = 1;
        }
        sw_ws_event ev;
        if (sw_ws_poll_event(c->ws, &ev) == 1) {
            any = 1;
            if (ev.kind == SW_EV_TEXT || ev.kind == SW_EV_BINARY) {
                /* The event's bytes are valid until the next call on the handle: send copies. */
                int r = ev.kind == SW_EV_TEXT ? sw_ws_send_text(c->ws, ev.data, ev.len)
                                              : sw_ws_send_binary(c->ws, ev.data, ev.len);
                (void)r; /* refused only while closing: then nothing is echoed */
            }
        }
        if (!any) break;
    }
    if (sw_ws_should_close(c->ws) && c->out_len == 0) c->closing = 1;
    return 0;
}

static int feed(struct conn *c, uint8_t *buf, size_t len) {
    size_t at = 0;
    while (at < len) {
        size_t used = 0;
        int r = sw_ws_recv(c->ws, now_ns(), buf + at, len - at, &used);
        at += used;
        if (drain(c) < 0) return -1;
        if (r == SW_ERR_PROTOCOL) break; /* the Close with its code is queued and drained */
        if (r < 0 && r != SW_ERR_EVENT_PENDING) return -1;
    }
    return 0;
}

static int on_handshake_bytes(struct conn *c, const uint8_t *p, size_t n) {
    if (c->head_len + n > HEAD_CAP) n = HEAD_CAP - c->head_len;
    memcpy(c->head + c->head_len, p, n);
    c->head_len += n;
    uint8_t resp[1024];
    size_t resp_len = 0, head_len = 0;
    int r = sw_hs_server_parse(c->hs, c->head, c->head_len, NULL, 0, resp, sizeof resp,
                               &resp_len, &head_len);
    if (r == SW_PARTIAL) return 0;
    if (send_bytes(c, resp, resp_len) < 0) return -1;
    if (r != SW_OK) {
        c->closing = 1;
        return 0;
    }
    sw_ws_config cfg;
    sw_ws_config_init(&cfg);
    /* Autobahn's 9.* cases send 16 MiB messages, some in 64-byte fragments. */
    cfg.max_frame_size = 64u << 20;
    cfg.max_message_size = 64u << 20;
    cfg.max_fragments = 1000000;
    c->ws = sw_ws_new_server(&cfg);
    sw_hs_server_free(c->hs);
    c->hs = NULL;
    if (!c->ws) return -1;
    /* Bytes after the head in the same read are WebSocket bytes. */
    return feed(c, c->head + head_len, c->head_len - head_len);
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 9002;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 128) < 0) {
        perror("listen");
        return 1;
    }
    fcntl(ls, F_SETFL, O_NONBLOCK);
    fprintf(stderr, "echo_server: listening on 127.0.0.1:%d\n", port);
    static struct pollfd pfd[MAX_CONNS + 1];
    static int idx[MAX_CONNS + 1];
    while (!stop) {
        int n = 0;
        pfd[n].fd = ls;
        pfd[n].events = POLLIN;
        idx[n++] = -1;
        int timeout_ms = 1000;
        uint64_t now = now_ns();
        for (int i = 0; i < MAX_CONNS; i++) {
            struct conn *c = conns[i];
            if (!c) continue;
            pfd[n].fd = c->fd;
            pfd[n].events = POLLIN | (c->out_len ? POLLOUT : 0);
            idx[n++] = i;
            if (c->linger_until) {
                uint64_t ms = c->linger_until > now ? (c->linger_until - now) / 1000000u + 1 : 0;
                if ((int)ms < timeout_ms) timeout_ms = (int)ms;
                continue;
            }
            uint64_t d;
            if (c->ws && sw_ws_poll_timeout(c->ws, &d) == 1) {
                uint64_t ms = d > now ? (d - now) / 1000000u + 1 : 0;
                if ((int)ms < timeout_ms) timeout_ms = (int)ms;
            }
        }
        if (poll(pfd, (nfds_t)n, timeout_ms) < 0 && errno != EINTR) {
            perror("poll");
            return 1;
        }
        if (stop) break;
        for (int k = 0; k < n; k++) {
            if (idx[k] < 0) {
                if (!(pfd[k].revents & POLLIN)) continue;
                for (;;) {
                    int fd = accept(ls, NULL, NULL);
                    if (fd < 0) break;
                    int slot = -1;
                    for (int i = 0; i < MAX_CONNS; i++)
                        if (!conns[i]) { slot = i; break; }
                    if (slot < 0) { close(fd); continue; }
                    fcntl(fd, F_SETFL, O_NONBLOCK);
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *c = calloc(1, sizeof *c);
                    if (!c) { close(fd); continue; }
                    c->fd = fd;
                    c->hs = sw_hs_server_new(NULL);
                    conns[slot] = c;
                }
                continue;
            }
            int i = idx[k];
            struct conn *c = conns[i];
            if (!c) continue;
            int bad = 0;
            if (c->linger_until) {
                if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) {
                    ssize_t r = read(c->fd, readbuf, sizeof readbuf);
                    if (r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR))) drop(i);
                } else if (now_ns() >= c->linger_until) {
                    drop(i);
                }
                continue;
            }
            if (pfd[k].revents & POLLOUT) bad |= flush_out(c) < 0;
            if (!bad && (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t r = read(c->fd, readbuf, sizeof readbuf);
                if (r == 0) {
                    if (c->ws) {
                        sw_ws_handle_eof(c->ws, now_ns());
                        drain(c);
                    }
                    bad = 1;
                } else if (r > 0) {
                    bad = c->ws ? feed(c, readbuf, (size_t)r) < 0
                                : on_handshake_bytes(c, readbuf, (size_t)r) < 0;
                } else if (errno != EAGAIN && errno != EINTR) {
                    bad = 1;
                }
            }
            if (!bad && c->ws) {
                sw_ws_handle_timeout(c->ws, now_ns());
                bad = drain(c) < 0;
            }
            if (bad) {
                drop(i);
            } else if (c->closing && c->out_len == 0) {
                shutdown(c->fd, SHUT_WR);
                c->linger_until = now_ns() + 2000000000u;
            }
        }
    }
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i]) drop(i);
    close(ls);
    return 0;
}
