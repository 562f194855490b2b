/* io_file.c — atomic file writes: temporary file, fsync, rename. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "io_file.h"

void io_write_atomic(const char *op, const char *path, int n, const void *const *data,
                     const size_t *len) {
    char *tmp = t_gc_sprintf("%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) t_raise(T_ERR_IO, "%s: cannot create a file next to %s: %s", op, path, strerror(errno));
    for (int i = 0; i < n; i++) {
        const char *p = data[i];
        size_t left = len[i];
        while (left) {
            ssize_t w = write(fd, p, left);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                int e = errno;
                close(fd);
                unlink(tmp);
                t_raise(T_ERR_IO, "%s: writing %s failed: %s", op, path, strerror(e));
            }
            p += w;
            left -= (size_t)w;
        }
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        t_raise(T_ERR_IO, "%s: saving %s failed: %s", op, path, strerror(e));
    }
}
