/* fuzz_wire.c — libFuzzer target for the wire decoder (kernel/wire.c).
 *
 * The input is a list of frames, each a 2-byte little-endian length and that many bytes. The
 * first input byte picks the key: odd means the "fuzz" key (so signature checking runs), even
 * means no key (so fuzzed JSON reaches the parser). Build and run with `make fuzz`.
 */
#include <stdint.h>
#include <string.h>

#include "wire.h"

/* Most frames one input is split into (the decoder's own limit on identities is lower). */
enum { FUZZ_MAX_FRAMES = 32 };
/* Bytes of a frame's length prefix. */
enum { FUZZ_LEN_BYTES = 2 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    WireKey key;
    wire_key_init(&key, (data[0] & 1) ? "fuzz" : "");
    WireFrame frames[FUZZ_MAX_FRAMES];
    int n = 0;
    size_t pos = 1;
    while (n < FUZZ_MAX_FRAMES && pos + FUZZ_LEN_BYTES <= size) {
        size_t len = data[pos] | (size_t)data[pos + 1] << 8;
        pos += FUZZ_LEN_BYTES;
        if (len > size - pos) len = size - pos;
        frames[n++] = (WireFrame){data + pos, len};
        pos += len;
    }
    WireMsg msg;
    char err[256];
    if (wire_decode(&key, frames, n, &msg, err, sizeof err)) {
        /* Exercise what the kernel does next with a decoded message. */
        (void)wire_msg_type(&msg);
        json_t *s = wire_string((const char *)data, size);
        json_decref(s);
        wire_msg_free(&msg);
    }
    wire_key_free(&key);
    return 0;
}
