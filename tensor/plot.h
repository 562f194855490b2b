/*
 * plot.h — what the rich-output files share (png.c, image.c, plot*.c, progress.c): PNG
 * encoding, the figure's structs, axis ticks and colours. Private to libctorch.
 */
#ifndef CTORCH_PLOT_INTERNAL_H
#define CTORCH_PLOT_INTERNAL_H

#include <cairo/cairo.h>

#include "internal.h"

/* ---- PNG (png.c) ---- */

/* 8-bit pixels (1 channel: grey, 3: RGB), row-major and packed, encoded as PNG in collected
   memory; *len receives the size. */
const unsigned char *t_png_encode(const unsigned char *pixels, int width, int height,
                                  int channels, size_t *len);
/* Width and height of PNG data; ValueError when it is not PNG. */
void t_png_size(const void *data, size_t len, int *width, int *height);
/* image/png with {"image/png": {"width", "height"}} metadata, and text as text/plain. */
MimeBundle *t_bundle_png_text(const void *data, size_t len, const char *text);

/* ---- values of a tensor (plot.c) ---- */

/* The n elements of x (any dtype, any device) as doubles in row-major order (collected). */
double *t_plot_values(const char *op, Tensor *x, int64_t *n);

/* ---- figures (plot.c, drawn by plot_render.c) ---- */

/* An RGB colour, each channel in [0, 1]. */
typedef struct PlotColor {
    double r, g, b;
} PlotColor;

typedef enum SeriesKind { SERIES_LINE, SERIES_SCATTER, SERIES_HIST } SeriesKind;

/* One series: a line or points through (x[i], y[i]), or a histogram whose bar i spans
   x[i]..x[i + 1] with height y[i] (n bars, n + 1 edges). */
typedef struct Series {
    SeriesKind kind;
    int64_t n;
    double *x, *y;
    const char *label;
    PlotColor color;
    double linewidth, marker_size, alpha;
} Series;

struct Plot {
    const char *title, *xlabel, *ylabel;
    int width, height;
    double xmin, xmax, ymin, ymax; /* fixed limits when min < max */
    Series *series;
    int nseries, cap;
};

/* The figure drawn as PNG (collected memory). */
const unsigned char *t_plot_render(const Plot *p, size_t *len);

/* ---- ticks and labels (plot_ticks.c) ---- */

/* Most ticks on one axis. */
enum { PLOT_MAX_TICKS = 32 };

/* Ticks on an axis from lo to hi: values that are multiples of step (1, 2 or 5 times a power
   of ten), about target of them; returns how many (at most PLOT_MAX_TICKS). */
int t_plot_ticks(double lo, double hi, int target, double *ticks, double *step);
/* The label of tick value v on an axis whose ticks are step apart ("0.5", "−2"): as few
   decimals as tell the ticks apart, with a true minus sign. Collected memory. */
const char *t_plot_tick_label(double v, double step);
/* The power of ten an axis is labelled in: 0 for ticks of ordinary size, else the exponent
   of the largest tick (very large or very small values), as matplotlib's offset text. */
int t_plot_axis_exponent(const double *ticks, int n);
/* "1e6", "1e−5": the text shown beside an axis labelled in a power of ten. */
const char *t_plot_exponent_label(int exponent);
/* The view range of data from lo to hi: widened by margin (a fraction of the span) on both
   sides, and made non-empty when lo == hi. */
void t_plot_view_range(double *lo, double *hi, double margin);

/* ---- colours (plot_ticks.c) ---- */

/* Colour i of matplotlib's default cycle (tab10). */
PlotColor t_plot_cycle_color(int i);
/* A colour from "#rrggbb" or "C0".."C9"; ValueError naming op otherwise. */
PlotColor t_plot_parse_color(const char *op, const char *spec);

/* ---- drawing with cairo (plot_draw.c) ---- */

/* The font of every plot and label: DejaVu Sans, as matplotlib's default. */
#define PLOT_FONT "DejaVu Sans"

/* A line of text to draw: centred on (x, y) when align is 0, starting at x when align is -1,
   ending at x when 1; y is the middle of the text's height. rotate: quarter turns
   anticlockwise (1 for a y-axis label). */
typedef struct DrawText {
    const char *text;
    double x, y, size;
    int align;
    int rotate;
    bool bold;
} DrawText;

/* A cairo context drawing on surface, with the plots' font and anti-aliasing set up. */
cairo_t *t_draw_begin(cairo_surface_t *surface);
/* Width and height (ascent + descent of the font) of text at size pixels. */
void t_draw_text_size(cairo_t *cr, const char *text, double size, bool bold, double *width,
                      double *height);
/* Draws one line of text in the current colour. */
void t_draw_text(cairo_t *cr, const DrawText *t);
/* The surface's pixels as PNG (collected memory), by cairo_surface_write_to_png_stream. */
const unsigned char *t_draw_png(cairo_surface_t *surface, size_t *len);
/* An 8-bit image (channels 1 or 3) with bands added for text: top_band pixels above it, and
   band pixels under every row_px rows of the image (none when row_px is 0), in the grey
   level band_grey; then the n texts (y counted without the top band) drawn in black or
   white, whichever shows on that grey. Returns the PNG. */
const unsigned char *t_draw_image_with_text(const unsigned char *px, int width, int height,
                                            int channels, int top_band, int row_px, int band,
                                            unsigned char band_grey, const DrawText *texts,
                                            int n, size_t *len);

#endif /* CTORCH_PLOT_INTERNAL_H */
