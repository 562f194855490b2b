/*
 * capture.c — a cell's stdout and stderr, streamed to the front end while it runs.
 *
 * fds 1 and 2 are pointed at pipes for the duration of the cell; a reader thread drains them
 * and calls JitIO.stream with valid UTF-8, so a cell writing megabytes never blocks on a full
 * pipe, and printf, puts, fprintf(stderr) and write(1, ...) all arrive, in order per stream.
 * The reader never touches collected memory, so it is a plain thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "jit_internal.h"

/* Bytes read from a pipe at once. */
enum { READ_CHUNK = 64 * 1024 };
/* Pipe capacity asked for: fewer wake-ups of the reader when a cell prints a lot. */
enum { PIPE_BYTES = 1024 * 1024 };
/* How long capture_sync waits between looks at the pipes, and how long it waits at most
   (a cell's background thread could keep writing forever). */
enum { SYNC_POLL_NS = 100 * 1000, SYNC_MAX_POLLS = 20000 };
/* The captured descriptors. */
enum { NSTREAMS = 2 };
static const int STREAM_FD[NSTREAMS] = {1, 2};

/* fds 1 and 2 are the process's, so there is one capture: its pipes and reader thread are
   made by the first cell and kept, so a cell costs two dup2 calls and a final drain. */
struct Capture {
    const JitIO *io;      /* the running cell's front end, NULL between cells */
    int saved[NSTREAMS];  /* the descriptors fds 1 and 2 were before the cell */
    int rfd[NSTREAMS];    /* read ends of the pipes (non-blocking) */
    int wfd[NSTREAMS];    /* write ends, put on fds 1 and 2 while a cell runs */
    pthread_t reader;
    pthread_mutex_t lock; /* held while reading and delivering */
    char carry[NSTREAMS][4];
    int ncarry[NSTREAMS];
    bool ready;
};
static Capture capture;

/* Length of the UTF-8 sequence a lead byte starts, or 0 if it cannot start one. */
static int utf8_len(unsigned char c) {
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return 2;
    if (c >= 0xE0 && c <= 0xEF) return 3;
    if (c >= 0xF0 && c <= 0xF4) return 4;
    return 0;
}

/* Whether s[0..n) is one valid sequence (no overlongs, surrogates or values past U+10FFFF). */
static bool utf8_valid(const unsigned char *s, int n) {
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return false;
    if (n == 3 && s[0] == 0xE0 && s[1] < 0xA0) return false;
    if (n == 3 && s[0] == 0xED && s[1] >= 0xA0) return false;
    if (n == 4 && s[0] == 0xF0 && s[1] < 0x90) return false;
    if (n == 4 && s[0] == 0xF4 && s[1] >= 0x90) return false;
    return true;
}

char *utf8_clean(const char *data, size_t len, char carry[4], int *ncarry, bool final,
                 size_t *outlen) {
    static const char REPLACEMENT[] = "\xEF\xBF\xBD";
    size_t total = (size_t)*ncarry + len;
    unsigned char *in = jit_xmalloc(total + 1);
    memcpy(in, carry, (size_t)*ncarry);
    memcpy(in + *ncarry, data, len);
    *ncarry = 0;
    StrBuf out = {0};
    size_t i = 0;
    while (i < total) {
        int n = utf8_len(in[i]);
        if (n == 1) {
            size_t j = i;
            while (j < total && in[j] < 0x80) j++;
            sb_add(&out, (const char *)in + i, j - i);
            i = j;
            continue;
        }
        if (n && i + (size_t)n > total && !final) {
            /* maybe the rest of the sequence comes with the next read */
            bool prefix_ok = true;
            for (size_t k = i + 1; k < total; k++)
                if ((in[k] & 0xC0) != 0x80) prefix_ok = false;
            if (prefix_ok) {
                *ncarry = (int)(total - i);
                memcpy(carry, in + i, (size_t)*ncarry);
                break;
            }
        }
        if (n && i + (size_t)n <= total && utf8_valid(in + i, n)) {
            sb_add(&out, (const char *)in + i, (size_t)n);
            i += (size_t)n;
        } else {
            sb_puts(&out, REPLACEMENT);
            i++;
        }
    }
    free(in);
    *outlen = out.len;
    return sb_take(&out);
}

/* Hands cleaned text of stream k to the front end (output nobody waits for is dropped). */
static void deliver(Capture *c, int k, const char *data, size_t len, bool final) {
    size_t n;
    char *clean = utf8_clean(data, len, c->carry[k], &c->ncarry[k], final, &n);
    if (n && c->io && c->io->stream) c->io->stream(c->io->ctx, STREAM_FD[k], clean, n);
    free(clean);
}

/* Reads and delivers what the pipes hold now; the lock is held. */
static void drain(Capture *c, char *buf) {
    for (int k = 0; k < NSTREAMS; k++) {
        for (;;) {
            ssize_t n = read(c->rfd[k], buf, READ_CHUNK);
            if (n > 0) {
                deliver(c, k, buf, (size_t)n, false);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            break;
        }
    }
}

/* The reader thread: delivers output as it arrives, for the life of the process. */
static void *reader_main(void *arg) {
    Capture *c = arg;
    char *buf = malloc(READ_CHUNK);
    while (buf) {
        struct pollfd pf[NSTREAMS];
        for (int k = 0; k < NSTREAMS; k++)
            pf[k] = (struct pollfd){.fd = c->rfd[k], .events = POLLIN};
        if (poll(pf, NSTREAMS, -1) < 0 && errno != EINTR) break;
        pthread_mutex_lock(&c->lock);
        drain(c, buf);
        pthread_mutex_unlock(&c->lock);
    }
    free(buf);
    return NULL;
}

/* Makes the pipes and starts the reader (once). */
static bool capture_init(Capture *c) {
    if (c->ready) return true;
    pthread_mutex_init(&c->lock, NULL);
    for (int k = 0; k < NSTREAMS; k++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) return false;
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        fcntl(p[1], F_SETPIPE_SZ, PIPE_BYTES);
        c->rfd[k] = p[0];
        c->wfd[k] = p[1];
    }
    /* the reader must not take the cells' signals (the interrupt goes to the cell thread) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&c->reader, NULL, reader_main, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) return false;
    pthread_detach(c->reader);
    c->ready = true;
    return true;
}

/* Points fds 1 and 2 at the pipes for a cell whose io has a stream (NULL otherwise). */
Capture *capture_begin(const JitIO *io) {
    if (!io || !io->stream) return NULL;
    Capture *c = &capture;
    if (!capture_init(c)) t_raise(T_ERR_IO, "capturing output: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    /* a cell's printf lines reach the notebook as they are printed, not when a 4 KiB buffer
       fills (stdout is a pipe here, which stdio would buffer fully); glibc allows the change
       after a flush */
    setvbuf(stdout, NULL, _IOLBF, BUFSIZ);
    pthread_mutex_lock(&c->lock);
    c->io = io;
    pthread_mutex_unlock(&c->lock);
    for (int k = 0; k < NSTREAMS; k++) {
        c->saved[k] = fcntl(STREAM_FD[k], F_DUPFD_CLOEXEC, 3);
        dup2(c->wfd[k], STREAM_FD[k]);
    }
    return c;
}

/* Bytes waiting in the pipes. */
static int pending(const Capture *c) {
    int total = 0;
    for (int k = 0; k < NSTREAMS; k++) {
        int n = 0;
        if (ioctl(c->rfd[k], FIONREAD, &n) == 0) total += n;
    }
    return total;
}

/* Waits until what the cell wrote so far reached the front end (before a prompt or result). */
void capture_sync(Capture *c) {
    fflush(stdout);
    fflush(stderr);
    if (!c) return;
    struct timespec pause = {.tv_nsec = SYNC_POLL_NS};
    for (int i = 0; i < SYNC_MAX_POLLS; i++) {
        if (pending(c) == 0) {
            /* the reader may be delivering what it read last: wait for it */
            pthread_mutex_lock(&c->lock);
            int left = pending(c);
            pthread_mutex_unlock(&c->lock);
            if (left == 0) return;
        }
        nanosleep(&pause, NULL);
    }
}

/* Gives fds 1 and 2 back and delivers what is left of the cell's output. */
void capture_end(Capture *c) {
    fflush(stdout);
    fflush(stderr);
    if (!c) return;
    for (int k = 0; k < NSTREAMS; k++) {
        dup2(c->saved[k], STREAM_FD[k]);
        close(c->saved[k]);
    }
    /* what is still in the pipes is the cell's: deliver it here, without waiting for the
       reader to be scheduled */
    char *buf = jit_xmalloc(READ_CHUNK);
    pthread_mutex_lock(&c->lock);
    drain(c, buf);
    for (int k = 0; k < NSTREAMS; k++) deliver(c, k, "", 0, true);
    c->io = NULL;
    pthread_mutex_unlock(&c->lock);
    free(buf);
}
