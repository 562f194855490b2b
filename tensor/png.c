/*
 * png.c — PNG encoding into memory (libpng), and the displays of ready-made content: PNG
 * bytes, HTML and Markdown. The images (image.c) and plots (plot_render.c) publish through
 * t_bundle_png here.
 */
#include <png.h>
#include <string.h>

#include "internal.h"
#include "plot.h"

/* The 8-byte signature every PNG file starts with, and where IHDR's width and height lie
   (big-endian, after the signature, the chunk length and the "IHDR" tag). */
static const unsigned char PNG_SIGNATURE[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
enum { PNG_SIGNATURE_LEN = 8, PNG_IHDR_TAG_AT = 12, PNG_WIDTH_AT = 16, PNG_HEIGHT_AT = 20,
       PNG_HEADER_LEN = 24 };

/* libpng's write callback: appends the bytes to the TBuf it was given. */
static void png_write_to_buf(png_structp png, png_bytep data, png_size_t n) {
    t_buf_add(png_get_io_ptr(png), (const char *)data, n);
}

/* libpng's flush callback: nothing to flush in memory. */
static void png_flush_nothing(png_structp png) { (void)png; }

/* Encodes 8-bit pixels (channels 1: grey, 3: RGB), row-major and tightly packed, as PNG. */
const unsigned char *t_png_encode(const unsigned char *pixels, int width, int height,
                                  int channels, size_t *len) {
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3))
        t_raise(T_ERR_VALUE, "t_png_encode: expected a positive size and 1 or 3 channels, got "
                "%dx%d with %d channels", width, height, channels);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        t_raise(T_ERR_OOM, "t_png_encode: libpng could not allocate its state");
    }
    /* volatile: read after libpng's longjmp */
    TBuf out = {0};
    TBuf *volatile outp = &out;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        t_raise(T_ERR_RUNTIME, "t_png_encode: libpng failed to encode a %dx%d image", width,
                height);
    }
    png_set_write_fn(png, outp, png_write_to_buf, png_flush_nothing);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)width * (size_t)channels;
    for (int y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *len = outp->len;
    return (const unsigned char *)outp->data;
}

/* A big-endian 32-bit number. */
static uint32_t read_be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Width and height from a PNG's IHDR chunk; raises ValueError for data that is not a PNG. */
void t_png_size(const void *data, size_t len, int *width, int *height) {
    const unsigned char *p = data;
    if (!p || len < PNG_HEADER_LEN || memcmp(p, PNG_SIGNATURE, PNG_SIGNATURE_LEN) != 0 ||
        memcmp(p + PNG_IHDR_TAG_AT, "IHDR", 4) != 0)
        t_raise(T_ERR_VALUE, "display_png: expected PNG data (starting with the PNG signature "
                "and an IHDR chunk), got %zu bytes that are not", len);
    *width = (int)read_be32(p + PNG_WIDTH_AT);
    *height = (int)read_be32(p + PNG_HEIGHT_AT);
}

/* A PNG with its size as metadata and the given text/plain. */
MimeBundle *t_bundle_png_text(const void *data, size_t len, const char *text) {
    int width, height;
    t_png_size(data, len, &width, &height);
    MimeBundle *b = t_bundle_text(text);
    mime_add(b, "image/png", data, len);
    b->metadata = t_gc_sprintf("{\"image/png\": {\"width\": %d, \"height\": %d}}", width, height);
    return b;
}

/* PNG bytes as a bundle whose text names the size. */
MimeBundle *t_bundle_png(const void *data, size_t len) {
    int width, height;
    t_png_size(data, len, &width, &height);
    return t_bundle_png_text(data, len, t_gc_sprintf("<PNG image %dx%d>", width, height));
}

/* Shows PNG bytes as a new output. */
void display_png(const void *data, size_t len) {
    t_display_publish(DISPLAY_DATA, t_bundle_png(data, len), NULL);
}

/* An HTML fragment, with a placeholder text for front ends that cannot show HTML. */
void display_html(const char *html) {
    if (!html) t_raise(T_ERR_VALUE, "display_html: expected an HTML string, got NULL");
    MimeBundle *b = t_bundle_text("<HTML>");
    mime_add(b, "text/html", html, strlen(html));
    t_display_publish(DISPLAY_DATA, b, NULL);
}

/* Markdown, with its source as the text a terminal shows. */
void display_markdown(const char *md) {
    if (!md) t_raise(T_ERR_VALUE, "display_markdown: expected a Markdown string, got NULL");
    MimeBundle *b = t_bundle_text(md);
    mime_add(b, "text/markdown", md, strlen(md));
    t_display_publish(DISPLAY_DATA, b, NULL);
}
