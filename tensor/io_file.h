/* io_file.h — writing files atomically, for the checkpoint formats (internal). */
#ifndef CTORCH_IO_FILE_H
#define CTORCH_IO_FILE_H

#include <stddef.h>

/* Writes the n parts (data[i], len[i]) to path through a temporary file in the same folder,
   synced and renamed over path, so readers see the old file or the whole new one. */
void io_write_atomic(const char *op, const char *path, int n, const void *const *data,
                     const size_t *len);

#endif
