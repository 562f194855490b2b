/*
 * wire.h — the Jupyter wire format: framing, HMAC-SHA256 signing, parsing and serializing.
 *
 * A message on a ZeroMQ socket is a list of frames:
 *     identities..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers...
 * The signature is the hex HMAC-SHA256 of the four JSON frames under the connection's key; it
 * is verified before any JSON is parsed, in constant time.
 */
#ifndef CTORCH_KERNEL_WIRE_H
#define CTORCH_KERNEL_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The messaging protocol version ctorch speaks. */
#define WIRE_PROTOCOL_VERSION "5.3"
/* The frame that separates routing identities from the message. */
#define WIRE_DELIMITER "<IDS|MSG>"
/* Hex digits of an HMAC-SHA256 signature (32 bytes). */
#define WIRE_SIG_HEX 64
/* Most routing identities kept from one message (a ROUTER adds one per hop). */
#define WIRE_MAX_IDENTS 8
/* Room for a message id or a session id: a UUID's 36 characters and a NUL. */
#define WIRE_ID_LEN 37

/* The signing key from the connection file; empty means messages are not signed. */
typedef struct WireKey {
    unsigned char *bytes;
    size_t len;
} WireKey;

/* One frame's bytes, as received or to be sent. */
typedef struct WireFrame {
    const void *data;
    size_t len;
} WireFrame;

/* A decoded message. The JSON parts are owned references; idents are copies. */
typedef struct WireMsg {
    int nidents;
    char *idents[WIRE_MAX_IDENTS];
    size_t ident_len[WIRE_MAX_IDENTS];
    json_t *header;
    json_t *parent;
    json_t *metadata;
    json_t *content;
    int nbuffers;
} WireMsg;

/* Sets the key (copied); NULL or "" disables signing. */
void wire_key_init(WireKey *key, const char *text);
void wire_key_free(WireKey *key);

/* Writes the hex signature (WIRE_SIG_HEX chars and a NUL) of four JSON parts into out;
   the empty string when the key is empty. Returns false if OpenSSL fails. */
bool wire_sign(const WireKey *key, const WireFrame parts[4], char out[WIRE_SIG_HEX + 1]);

/* Decodes received frames into msg. Returns true on success; on failure writes why into err
   (errlen bytes) and leaves msg empty. A bad signature is rejected before JSON is parsed. */
bool wire_decode(const WireKey *key, const WireFrame *frames, int nframes, WireMsg *msg,
                 char *err, size_t errlen);

/* Releases what wire_decode filled in (safe on a zeroed or already freed msg). */
void wire_msg_free(WireMsg *msg);

/* The msg_type of a decoded message's header ("" if missing). */
const char *wire_msg_type(const WireMsg *msg);

/* A new header object: unique msg_id, the session, ISO 8601 date, protocol version. */
json_t *wire_header_new(const char *msg_type, const char *session);

/* Writes a fresh UUID (lower-case, 36 characters) into out. */
void wire_uuid(char out[WIRE_ID_LEN]);

/* A JSON string from bytes that may not be valid UTF-8: invalid sequences become U+FFFD, so
   output a cell printed is never dropped. Never returns NULL for non-NULL text. */
json_t *wire_string(const char *text, size_t len);

#endif /* CTORCH_KERNEL_WIRE_H */
