/* wire.c — the Jupyter wire format: signing, verifying and decoding frames, making headers. */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <pthread.h>
#include <uuid/uuid.h>

/* Frames after the delimiter that every message has: signature and four JSON parts. */
enum { WIRE_FIXED_FRAMES = 5 };
/* The Unicode replacement character, in UTF-8, for bytes that are not valid UTF-8. */
static const char REPLACEMENT_CHAR[] = "\xEF\xBF\xBD";

void wire_key_init(WireKey *key, const char *text) {
    key->len = text ? strlen(text) : 0;
    key->bytes = NULL;
    if (key->len) {
        key->bytes = malloc(key->len);
        memcpy(key->bytes, text, key->len);
    }
}

void wire_key_free(WireKey *key) {
    free(key->bytes);
    key->bytes = NULL;
    key->len = 0;
}

/* The HMAC algorithm, fetched from OpenSSL once (fetching is thread-safe but not free). */
static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void) { hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL); }

bool wire_sign(const WireKey *key, const WireFrame parts[4], char out[WIRE_SIG_HEX + 1]) {
    static const char hex[] = "0123456789abcdef";
    out[0] = '\0';
    if (key->len == 0) return true;
    pthread_once(&hmac_once, hmac_fetch);
    EVP_MAC_CTX *ctx = hmac_alg ? EVP_MAC_CTX_new(hmac_alg) : NULL;
    if (!ctx) return false;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    bool ok = EVP_MAC_init(ctx, key->bytes, key->len, params) == 1;
    for (int i = 0; ok && i < 4; i++)
        ok = EVP_MAC_update(ctx, parts[i].data, parts[i].len) == 1;
    ok = ok && EVP_MAC_final(ctx, mac, &maclen, sizeof mac) == 1 && maclen * 2 == WIRE_SIG_HEX;
    EVP_MAC_CTX_free(ctx);
    if (!ok) return false;
    for (size_t i = 0; i < maclen; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 0xF];
    }
    out[WIRE_SIG_HEX] = '\0';
    return true;
}

/* True if the received signature frame matches the parts, compared in constant time. */
static bool signature_ok(const WireKey *key, const WireFrame *sig, const WireFrame parts[4]) {
    if (key->len == 0) return true;
    char want[WIRE_SIG_HEX + 1];
    if (sig->len != WIRE_SIG_HEX || !wire_sign(key, parts, want)) return false;
    return CRYPTO_memcmp(want, sig->data, WIRE_SIG_HEX) == 0;
}

/* Parses one JSON frame that must hold an object. */
static json_t *parse_object(const WireFrame *f, const char *what, char *err, size_t errlen) {
    json_error_t jerr;
    json_t *v = json_loadb(f->data, f->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        snprintf(err, errlen, "wire: %s is not valid JSON (%s)", what, jerr.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        snprintf(err, errlen, "wire: %s must be a JSON object", what);
        json_decref(v);
        return NULL;
    }
    return v;
}

/* Checks the header fields the kernel relies on: msg_id and msg_type strings. */
static bool header_ok(const json_t *header, char *err, size_t errlen) {
    const char *fields[] = {"msg_id", "msg_type"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        if (!json_is_string(json_object_get(header, fields[i]))) {
            snprintf(err, errlen, "wire: header has no string \"%s\"", fields[i]);
            return false;
        }
    }
    return true;
}

bool wire_decode(const WireKey *key, const WireFrame *frames, int nframes, WireMsg *msg,
                 char *err, size_t errlen) {
    memset(msg, 0, sizeof *msg);
    const size_t dlen = strlen(WIRE_DELIMITER);
    int delim = -1;
    for (int i = 0; i < nframes; i++) {
        if (frames[i].len == dlen && memcmp(frames[i].data, WIRE_DELIMITER, dlen) == 0) {
            delim = i;
            break;
        }
    }
    if (delim < 0) {
        snprintf(err, errlen, "wire: no \"%s\" delimiter among %d frames", WIRE_DELIMITER, nframes);
        return false;
    }
    if (delim > WIRE_MAX_IDENTS) {
        snprintf(err, errlen, "wire: %d routing identities, at most %d expected", delim,
                 WIRE_MAX_IDENTS);
        return false;
    }
    if (nframes - delim - 1 < WIRE_FIXED_FRAMES) {
        snprintf(err, errlen, "wire: %d frames after the delimiter, at least %d expected",
                 nframes - delim - 1, WIRE_FIXED_FRAMES);
        return false;
    }
    const WireFrame *sig = &frames[delim + 1];
    const WireFrame *parts = &frames[delim + 2];
    if (!signature_ok(key, sig, parts)) {
        snprintf(err, errlen, "wire: invalid signature");
        return false;
    }
    json_t **dst[4] = {&msg->header, &msg->parent, &msg->metadata, &msg->content};
    const char *names[4] = {"header", "parent_header", "metadata", "content"};
    for (int i = 0; i < 4; i++) {
        *dst[i] = parse_object(&parts[i], names[i], err, errlen);
        if (!*dst[i]) {
            wire_msg_free(msg);
            return false;
        }
    }
    if (!header_ok(msg->header, err, errlen)) {
        wire_msg_free(msg);
        return false;
    }
    for (int i = 0; i < delim; i++) {
        msg->idents[i] = malloc(frames[i].len ? frames[i].len : 1);
        memcpy(msg->idents[i], frames[i].data, frames[i].len);
        msg->ident_len[i] = frames[i].len;
    }
    msg->nidents = delim;
    msg->nbuffers = nframes - delim - 1 - WIRE_FIXED_FRAMES;
    return true;
}

void wire_msg_free(WireMsg *msg) {
    for (int i = 0; i < msg->nidents; i++) free(msg->idents[i]);
    json_decref(msg->header);
    json_decref(msg->parent);
    json_decref(msg->metadata);
    json_decref(msg->content);
    memset(msg, 0, sizeof *msg);
}

const char *wire_msg_type(const WireMsg *msg) {
    const char *t = json_string_value(json_object_get(msg->header, "msg_type"));
    return t ? t : "";
}

void wire_uuid(char out[WIRE_ID_LEN]) {
    uuid_t u;
    uuid_generate(u);
    uuid_unparse_lower(u, out);
}

/* The current time as ISO 8601 UTC with microseconds: 2024-01-31T12:00:00.123456Z. */
static void iso_now(char *out, size_t len) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, len, "%s.%06ldZ", base, (long)tv.tv_usec);
}

json_t *wire_header_new(const char *msg_type, const char *session) {
    char id[WIRE_ID_LEN], date[64];
    wire_uuid(id);
    iso_now(date, sizeof date);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "msg_id", id, "msg_type", msg_type,
                     "session", session, "username", "ctorch", "date", date, "version",
                     WIRE_PROTOCOL_VERSION);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is not valid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n) {
    size_t len;
    unsigned min;
    unsigned cp;
    if (s[0] < 0x80) return 1;
    if ((s[0] & 0xE0) == 0xC0) len = 2, min = 0x80, cp = s[0] & 0x1F;
    else if ((s[0] & 0xF0) == 0xE0) len = 3, min = 0x800, cp = s[0] & 0x0F;
    else if ((s[0] & 0xF8) == 0xF0) len = 4, min = 0x10000, cp = s[0] & 0x07;
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

json_t *wire_string(const char *text, size_t len) {
    json_t *s = json_stringn(text, len);
    if (s) return s;
    /* Not valid UTF-8 (or holds NUL bytes): rebuild it with replacement characters. */
    char *buf = malloc(len * sizeof REPLACEMENT_CHAR + 1);
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        size_t k = p[i] ? utf8_seq_len(p + i, len - i) : 0;
        if (k) {
            memcpy(buf + o, p + i, k);
            o += k;
            i += k;
        } else {
            memcpy(buf + o, REPLACEMENT_CHAR, sizeof REPLACEMENT_CHAR - 1);
            o += sizeof REPLACEMENT_CHAR - 1;
            i++;
        }
    }
    s = json_stringn(buf, o);
    free(buf);
    return s;
}
