/*
 * plot_draw.c — the cairo plumbing plots and labelled images share: a context with the font
 * set up, text measured and drawn where it is asked for, and a surface written to PNG bytes
 * in memory.
 */
#include <math.h>
#include <string.h>

#include "plot.h"

/* Grey level above which a background counts as light (mid-grey). */
enum { LIGHT_BACKGROUND = 128 };

/* A context on surface with grey-level anti-aliased text and smooth lines. */
cairo_t *t_draw_begin(cairo_surface_t *surface) {
    cairo_t *cr = cairo_create(surface);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
    return cr;
}

/* Selects the plots' font at size pixels. */
static void set_font(cairo_t *cr, double size, bool bold) {
    cairo_select_font_face(cr, PLOT_FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

void t_draw_text_size(cairo_t *cr, const char *text, double size, bool bold, double *width,
                      double *height) {
    set_font(cr, size, bold);
    cairo_text_extents_t te;
    cairo_font_extents_t fe;
    cairo_text_extents(cr, text, &te);
    cairo_font_extents(cr, &fe);
    if (width) *width = te.x_advance;
    if (height) *height = fe.ascent + fe.descent;
}

/* One line of text placed and aligned as t asks, in the current colour. */
void t_draw_text(cairo_t *cr, const DrawText *t) {
    if (!t->text || !t->text[0]) return;
    set_font(cr, t->size, t->bold);
    cairo_text_extents_t te;
    cairo_font_extents_t fe;
    cairo_text_extents(cr, t->text, &te);
    cairo_font_extents(cr, &fe);
    double dx = t->align < 0 ? 0 : t->align > 0 ? -te.x_advance : -te.x_advance / 2;
    /* the baseline sits below the middle by half the ascent less half the descent */
    double dy = (fe.ascent - fe.descent) / 2;
    cairo_save(cr);
    cairo_translate(cr, t->x, t->y);
    cairo_rotate(cr, -t->rotate * M_PI / 2);
    cairo_move_to(cr, dx, dy);
    cairo_show_text(cr, t->text);
    cairo_restore(cr);
}

/* cairo's write callback: appends the bytes to a TBuf. */
static cairo_status_t write_to_buf(void *closure, const unsigned char *data, unsigned int n) {
    t_buf_add(closure, (const char *)data, n);
    return CAIRO_STATUS_SUCCESS;
}

/* The surface as PNG bytes; the caller still owns the surface. */
const unsigned char *t_draw_png(cairo_surface_t *surface, size_t *len) {
    TBuf out = {0};
    cairo_surface_flush(surface);
    cairo_status_t st = cairo_surface_write_to_png_stream(surface, write_to_buf, &out);
    if (st != CAIRO_STATUS_SUCCESS)
        t_raise(T_ERR_RUNTIME, "plot: cairo could not write the PNG: %s",
                cairo_status_to_string(st));
    *len = out.len;
    return (const unsigned char *)out.data;
}

/* Pixel (x, y) of an 8-bit image as cairo's RGB24 word. */
static uint32_t pixel_word(const unsigned char *px, int width, int channels, int x, int y) {
    const unsigned char *p = px + ((size_t)y * (size_t)width + (size_t)x) * (size_t)channels;
    unsigned r = p[0], g = channels == 3 ? p[1] : p[0], b = channels == 3 ? p[2] : p[0];
    return (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)b;
}

/* Copies the image into the surface, leaving the bands out (filled beforehand). */
static void blit_with_bands(cairo_surface_t *s, const unsigned char *px, int width, int height,
                            int channels, int top_band, int row_px, int band) {
    cairo_surface_flush(s);
    unsigned char *dst = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < height; y++) {
        int dy = top_band + y + (row_px ? y / row_px * band : 0);
        uint32_t *row = (uint32_t *)(dst + (size_t)dy * (size_t)stride);
        for (int x = 0; x < width; x++) row[x] = pixel_word(px, width, channels, x, y);
    }
    cairo_surface_mark_dirty(s);
}

const unsigned char *t_draw_image_with_text(const unsigned char *px, int width, int height,
                                            int channels, int top_band, int row_px, int band,
                                            unsigned char band_grey, const DrawText *texts,
                                            int n, size_t *len) {
    int bands = row_px ? height / row_px : 0;
    int full_height = height + top_band + bands * band;
    bool light = band_grey >= LIGHT_BACKGROUND;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, full_height);
    cairo_t *cr = t_draw_begin(s);
    cairo_set_source_rgb(cr, band_grey / 255.0, band_grey / 255.0, band_grey / 255.0);
    cairo_paint(cr);
    cairo_surface_flush(s);
    blit_with_bands(s, px, width, height, channels, top_band, row_px, band);
    double ink = light ? 0.0 : 1.0;
    cairo_set_source_rgb(cr, ink, ink, ink);
    for (int i = 0; i < n; i++) {
        DrawText t = texts[i];
        t.y += top_band;
        t_draw_text(cr, &t);
    }
    cairo_destroy(cr);
    const unsigned char *png = t_draw_png(s, len);
    cairo_surface_destroy(s);
    return png;
}
