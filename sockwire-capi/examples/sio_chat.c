/*
 * sio_chat.c: the rooms chat (examples/rooms/app.rs) as a C program on the sockwire C ABI:
 * a Socket.IO v5 server over plain POSIX sockets and poll(2), one thread. This file moves
 * bytes, keeps the clock and arms one timer; every protocol decision (HTTP, Engine.IO
 * polling / WebSocket / upgrade, heartbeat, Socket.IO packets, rooms, acks) is the library's.
 * The application reacts to the events the library queues:
 *   "name" <string>            sets the sender's name (per-socket data, set/get)
 *   "join" <room>, ack "ok"    joins a room; its members hear "joined" [name, room]
 *   "say" <text>               "said" {from, text} to the sender's room, or everyone else
 *   connect / disconnect       "joined" [name] / "left" [name] to everyone else
 *
 *   ./sio_chat [PORT]          (listens on 127.0.0.1, default 3000; path /socket.io/)
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
#define READ_CAP (64 * 1024)

struct conn {
    int fd;
    uint64_t id;   /* the library's connection id (ours, never reused) */
    uint8_t *out;  /* unwritten output (a short write's tail) */
    size_t out_len, out_cap;
    int closing;   /* close once the output is written */
};

static struct conn *conns[MAX_CONNS];
static uint64_t next_id = 1;
static uint8_t readbuf[READ_CAP];
static volatile sig_atomic_t stop; /* SIGTERM / SIGINT: free everything and exit 0 */

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Session ids must be unpredictable: read them from the OS. */
static void os_random(void *user, uint8_t *out, size_t len) {
    FILE *f = user;
    if (fread(out, 1, len, f) != len) abort();
}

static struct conn *find(uint64_t id) {
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i] && conns[i]->id == id) return conns[i];
    return NULL;
}

static void drop(int i) {
    close(conns[i]->fd);
    free(conns[i]->out);
    free(conns[i]);
    conns[i] = NULL;
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

/* Appends bytes to the connection's output and writes what the socket takes. */
static int send_bytes(struct conn *c, const uint8_t *p, size_t n) {
    if (c->out_len + n > c->out_cap) {
        size_t cap = (c->out_len + n) * 2;
        uint8_t *q = realloc(c->out, cap);
        if (!q) return -1;
        c->out = q;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return flush_out(c);
}

/* ---- the application: JSON is built from the raw JSON strings the client sent ------------ */

/* The first argument of an event's args array when it is a JSON string: its raw text, quotes
 * included, copied to buf (NUL-terminated). 0 when there is none (or it is too long). */
static int first_string(const char *json, char *buf, size_t cap) {
    if (json[0] != '[' || json[1] != '"') return 0;
    size_t i = 2;
    while (json[i] && json[i] != '"') i += json[i] == '\\' && json[i + 1] ? 2 : 1;
    if (json[i] != '"' || i + 2 > cap) return 0;
    memcpy(buf, json + 1, i);
    buf[i] = 0;
    return 1;
}

/* A raw JSON string without escapes as plain text (a room name); 0 if it has escapes. */
static int plain(const char *raw, char *buf, size_t cap) {
    size_t n = strlen(raw);
    if (n < 2 || n - 1 > cap || memchr(raw, '\\', n)) return 0;
    memcpy(buf, raw + 1, n - 2);
    buf[n - 2] = 0;
    return 1;
}

/* The socket's name as a raw JSON string: its "name" data, else its id. */
static void name_of(sw_sio_server *s, const sw_sio_server_event *ev, char *buf, size_t cap) {
    const uint8_t *p;
    size_t n;
    if (sw_sio_server_get(s, ev->socket, "name", &p, &n) == 1 && n + 1 <= cap) {
        memcpy(buf, p, n);
        buf[n] = 0;
    } else {
        snprintf(buf, cap, "\"%s\"", ev->sid);
    }
}

static void on_event(sw_sio_server *s, const sw_sio_server_event *ev) {
    char me[512], arg[512], room[512], json[2048];
    uint64_t t = now_ns();
    switch (ev->kind) {
    case SW_SIO_CONNECT:
        name_of(s, ev, me, sizeof me);
        snprintf(json, sizeof json, "[%s]", me);
        sw_sio_server_broadcast(s, t, ev->nsp, NULL, ev->socket, "joined", json, strlen(json));
        break;
    case SW_SIO_DISCONNECT: /* the socket is gone from its rooms: "everyone" is the others */
        name_of(s, ev, me, sizeof me);
        snprintf(json, sizeof json, "[%s]", me);
        sw_sio_server_broadcast(s, t, ev->nsp, NULL, 0, "left", json, strlen(json));
        break;
    case SW_SIO_EVENT:
        if (!first_string(ev->json, arg, sizeof arg)) strcpy(arg, "\"\"");
        if (strcmp(ev->name, "name") == 0) {
            sw_sio_server_set(s, ev->socket, "name", (const uint8_t *)arg, strlen(arg));
        } else if (strcmp(ev->name, "join") == 0 && plain(arg, room, sizeof room)) {
            sw_sio_server_room(s, t, ev->socket, room, 1);
            name_of(s, ev, me, sizeof me);
            snprintf(json, sizeof json, "[%s,%s]", me, arg);
            sw_sio_server_broadcast(s, t, ev->nsp, room, ev->socket, "joined", json,
                                    strlen(json));
            sw_sio_server_set(s, ev->socket, "room", (const uint8_t *)room, strlen(room));
            if (ev->has_ack) sw_sio_server_ack(s, t, ev->socket, ev->ack_id, "[\"ok\"]", 6);
        } else if (strcmp(ev->name, "say") == 0) {
            name_of(s, ev, me, sizeof me);
            snprintf(json, sizeof json, "[{\"from\":%s,\"text\":%s}]", me, arg);
            const uint8_t *p;
            size_t n;
            room[0] = 0;
            if (sw_sio_server_get(s, ev->socket, "room", &p, &n) == 1 && n < sizeof room) {
                memcpy(room, p, n);
                room[n] = 0;
            }
            sw_sio_server_broadcast(s, t, ev->nsp, room[0] ? room : NULL, ev->socket, "said",
                                    json, strlen(json));
        }
        break;
    default:
        break;
    }
}

/* ---- the host: bytes in, bytes out, one timer -------------------------------------------- */

/* Writes every transmit and answers every event, until both are empty. */
static void pump(sw_sio_server *s) {
    for (;;) {
        int any = 0;
        uint64_t id;
        const uint8_t *p;
        size_t n;
        int close_after;
        while (sw_sio_server_poll_transmit(s, &id, &p, &n, &close_after) == 1) {
            any = 1;
            struct conn *c = find(id);
            if (!c) continue;
            if (send_bytes(c, p, n) < 0) c->closing = 2; /* broken: drop it */
            if (close_after) c->closing = c->closing ? c->closing : 1;
        }
        sw_sio_server_event ev;
        if (sw_sio_server_poll_event(s, &ev) == 1) {
            any = 1;
            on_event(s, &ev);
        }
        if (!any) return;
    }
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 3000;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    FILE *urandom = fopen("/dev/urandom", "rb");
    if (!urandom) {
        perror("/dev/urandom");
        return 1;
    }
    sw_sio_server *s = sw_sio_server_new(NULL, os_random, urandom);
    if (!s) return 1;
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
    fprintf(stderr, "sio_chat: listening on http://127.0.0.1:%d/socket.io/\n", port);
    static struct pollfd pfd[MAX_CONNS + 1];
    static int idx[MAX_CONNS + 1];
    while (!stop) {
        int n = 0;
        pfd[n].fd = ls;
        pfd[n].events = POLLIN;
        idx[n++] = -1;
        for (int i = 0; i < MAX_CONNS; i++) {
            if (!conns[i]) continue;
            pfd[n].fd = conns[i]->fd;
            pfd[n].events = POLLIN | (conns[i]->out_len ? POLLOUT : 0);
            idx[n++] = i;
        }
        int timeout_ms = 1000;
        uint64_t deadline, now = now_ns();
        if (sw_sio_server_poll_timeout(s, &deadline) == 1) {
            uint64_t ms = deadline > now ? (deadline - now) / 1000000u + 1 : 0;
            if (ms < (uint64_t)timeout_ms) timeout_ms = (int)ms;
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
                    struct conn *c = slot < 0 ? NULL : calloc(1, sizeof *c);
                    if (!c) { close(fd); continue; }
                    fcntl(fd, F_SETFL, O_NONBLOCK);
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c->fd = fd;
                    c->id = next_id++;
                    conns[slot] = c;
                    sw_sio_server_handle_accept(s, now_ns(), c->id);
                    pump(s);
                }
                continue;
            }
            struct conn *c = conns[idx[k]];
            if (!c) continue;
            if ((pfd[k].revents & POLLOUT) && flush_out(c) < 0) c->closing = 2;
            if (!c->closing && (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t r = read(c->fd, readbuf, sizeof readbuf);
                if (r > 0) {
                    sw_sio_server_handle_read(s, now_ns(), c->id, readbuf, (size_t)r);
                } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                    sw_sio_server_handle_eof(s, now_ns(), c->id);
                    c->closing = 2; /* the library retires the id; we close now */
                }
                pump(s);
            }
        }
        uint64_t t = now_ns();
        if (sw_sio_server_poll_timeout(s, &deadline) == 1 && deadline <= t) {
            sw_sio_server_handle_timeout(s, t);
            pump(s);
        }
        for (int i = 0; i < MAX_CONNS; i++) {
            struct conn *c = conns[i];
            if (c && (c->closing == 2 || (c->closing == 1 && c->out_len == 0))) drop(i);
        }
    }
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i]) drop(i);
    close(ls);
    sw_sio_server_free(s);
    fclose(urandom);
    return 0;
}
