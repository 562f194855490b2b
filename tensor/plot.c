/*
 * plot.c — figures and their series: plot_new, plot_add_line/scatter/hist, showing and saving,
 * and the one-call plots (plot_line, plot_scatter, plot_hist). Drawing is plot_render.c's.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot.h"

/* matplotlib's default figure is 6.4 × 4.8 inches; ctorch's is as wide, and lower to fit a
   notebook screen: 640 × 400 pixels. Sizes outside [PLOT_MIN_SIDE, PLOT_MAX_SIDE] are refused. */
enum { PLOT_DEFAULT_WIDTH = 640, PLOT_DEFAULT_HEIGHT = 400, PLOT_MIN_SIDE = 120,
       PLOT_MAX_SIDE = 8192 };
/* matplotlib's defaults: line width 1.5, 10 histogram bins; markers of radius 3.5 pixels
   (its 6-point markers at 100 dpi, a little smaller), histograms that overlap drawn at 0.6
   opacity so each shows through. */
static const double DEFAULT_LINEWIDTH = 1.5, DEFAULT_MARKER_SIZE = 3.5;
static const double OVERLAP_ALPHA = 0.6;
enum { DEFAULT_BINS = 10, MAX_BINS = 10000 };
/* Series slots allocated at first; the array doubles when full. */
enum { FIRST_SERIES_CAP = 4 };

/* ---- values ---- */

double *t_plot_values(const char *op, Tensor *x, int64_t *n) {
    if (!x) t_raise(T_ERR_VALUE, "%s: expected a tensor, got NULL", op);
    t_check_alive(op, x);
    Tensor *c = t_contiguous(t_to_dtype(t_to(t_detach(x), T_CPU), T_F64));
    *n = t_numel(c);
    double *v = t_gc_alloc_atomic((size_t)(*n ? *n : 1) * sizeof *v);
    if (*n) memcpy(v, t_data(c), (size_t)*n * sizeof *v);
    return v;
}

/* The values of a 1-D tensor with at least one element. */
static double *series_values(const char *op, const char *what, Tensor *x, int64_t *n) {
    if (x && t_ndim(x) != 1)
        t_raise(T_ERR_SHAPE, "%s: expected %s as a 1-D tensor, got %s", op, what,
                t_shape_str(t_shape(x)));
    double *v = t_plot_values(op, x, n);
    if (*n == 0)
        t_raise(T_ERR_VALUE, "%s: expected %s with at least one value, got none", op, what);
    return v;
}

/* ---- figures ---- */

/* Copies the figure options that are set in o into p. */
static void apply_figure_opts(const char *op, Plot *p, PlotOpts o) {
    if (o.title) p->title = t_gc_sprintf("%s", o.title);
    if (o.xlabel) p->xlabel = t_gc_sprintf("%s", o.xlabel);
    if (o.ylabel) p->ylabel = t_gc_sprintf("%s", o.ylabel);
    if (o.width || o.height) {
        int w = o.width ? o.width : p->width, h = o.height ? o.height : p->height;
        if (w < PLOT_MIN_SIDE || h < PLOT_MIN_SIDE || w > PLOT_MAX_SIDE || h > PLOT_MAX_SIDE)
            t_raise(T_ERR_VALUE, "%s: expected a size of %d to %d pixels a side, got %dx%d", op,
                    PLOT_MIN_SIDE, PLOT_MAX_SIDE, w, h);
        p->width = w;
        p->height = h;
    }
    if (o.xmin != 0 || o.xmax != 0) {
        if (!(o.xmin < o.xmax))
            t_raise(T_ERR_VALUE, "%s: expected xmin < xmax, got %g and %g", op, o.xmin, o.xmax);
        p->xmin = o.xmin;
        p->xmax = o.xmax;
    }
    if (o.ymin != 0 || o.ymax != 0) {
        if (!(o.ymin < o.ymax))
            t_raise(T_ERR_VALUE, "%s: expected ymin < ymax, got %g and %g", op, o.ymin, o.ymax);
        p->ymin = o.ymin;
        p->ymax = o.ymax;
    }
}

/* A figure with no series, 640x400 unless the options say otherwise. */
Plot *plot_new_opts(PlotOpts opts) {
    Plot *p = t_gc_alloc(sizeof *p);
    p->width = PLOT_DEFAULT_WIDTH;
    p->height = PLOT_DEFAULT_HEIGHT;
    if (opts.x || opts.label || opts.color || opts.linewidth || opts.marker_size || opts.alpha ||
        opts.bins)
        t_raise(T_ERR_VALUE, "plot_new: series options (.x, .label, .color, .linewidth, "
                ".marker_size, .alpha, .bins) belong to plot_add_line, plot_add_scatter or "
                "plot_add_hist");
    apply_figure_opts("plot_new", p, opts);
    return p;
}

/* Raises unless p is a figure. */
static void check_plot(const char *op, const Plot *p) {
    if (!p) t_raise(T_ERR_VALUE, "%s: expected a Plot (from plot_new), got NULL", op);
}

/* A new series of p with the style options of o (and the next colour of the cycle). */
static Series *add_series(const char *op, Plot *p, SeriesKind kind, PlotOpts o) {
    if (o.linewidth < 0 || o.marker_size < 0 || o.alpha < 0 || o.alpha > 1)
        t_raise(T_ERR_VALUE, "%s: expected linewidth >= 0, marker_size >= 0 and alpha in "
                "[0, 1], got %g, %g and %g", op, o.linewidth, o.marker_size, o.alpha);
    PlotColor color = o.color ? t_plot_parse_color(op, o.color) : t_plot_cycle_color(p->nseries);
    apply_figure_opts(op, p, o);
    if (p->nseries == p->cap) {
        int cap = p->cap ? 2 * p->cap : FIRST_SERIES_CAP;
        Series *grown = t_gc_alloc((size_t)cap * sizeof *grown);
        if (p->nseries) memcpy(grown, p->series, (size_t)p->nseries * sizeof *grown);
        p->series = grown;
        p->cap = cap;
    }
    Series *s = &p->series[p->nseries++];
    *s = (Series){.kind = kind, .color = color,
                  .label = o.label ? t_gc_sprintf("%s", o.label) : NULL,
                  .linewidth = o.linewidth ? o.linewidth : DEFAULT_LINEWIDTH,
                  .marker_size = o.marker_size ? o.marker_size : DEFAULT_MARKER_SIZE,
                  .alpha = o.alpha ? o.alpha : 1.0};
    return s;
}

/* 0, 1, ..., n - 1: the x of a line given without one. */
static double *index_values(int64_t n) {
    double *x = t_gc_alloc_atomic((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++) x[i] = (double)i;
    return x;
}

/* Adds a line through y (n values) at o.x (or 0..n-1). */
static void add_line_values(const char *op, Plot *p, double *y, int64_t n, PlotOpts o) {
    check_plot(op, p);
    if (o.bins) t_raise(T_ERR_VALUE, "%s: .bins is for histograms (plot_add_hist)", op);
    double *x = index_values(n);
    if (o.x) {
        int64_t nx;
        x = series_values(op, ".x", o.x, &nx);
        if (nx != n)
            t_raise(T_ERR_SHAPE, "%s: expected .x as long as y (%lld values), got %lld", op,
                    (long long)n, (long long)nx);
    }
    Series *s = add_series(op, p, SERIES_LINE, o);
    s->n = n;
    s->x = x;
    s->y = y;
}

/* A line through a tensor's values. */
void plot_add_line_opts(Plot *p, Tensor *y, PlotOpts opts) {
    int64_t n;
    double *v = series_values("plot_add_line", "y", y, &n);
    add_line_values("plot_add_line", p, v, n, opts);
}

/* Doubles copied from a C array of n values (float or double, by is_float). */
static double *array_values(const char *op, const void *y, int64_t n, bool is_float) {
    if (!y) t_raise(T_ERR_VALUE, "%s: expected an array of values, got NULL", op);
    if (n <= 0) t_raise(T_ERR_VALUE, "%s: expected at least one value, got n=%lld", op,
                        (long long)n);
    double *v = t_gc_alloc_atomic((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++)
        v[i] = is_float ? ((const float *)y)[i] : ((const double *)y)[i];
    return v;
}

/* A line through a C array of floats. */
void plot_add_line_f_opts(Plot *p, const float *y, int64_t n, PlotOpts opts) {
    add_line_values("plot_add_line_f", p, array_values("plot_add_line_f", y, n, true), n, opts);
}

/* A line through a C array of doubles. */
void plot_add_line_d_opts(Plot *p, const double *y, int64_t n, PlotOpts opts) {
    add_line_values("plot_add_line_d", p, array_values("plot_add_line_d", y, n, false), n, opts);
}

/* Points at (x[i], y[i]). */
void plot_add_scatter_opts(Plot *p, Tensor *x, Tensor *y, PlotOpts opts) {
    const char *op = "plot_add_scatter";
    check_plot(op, p);
    if (opts.x || opts.bins)
        t_raise(T_ERR_VALUE, "%s: the points' x is the second argument; .x and .bins do not "
                "apply", op);
    int64_t nx, ny;
    double *xv = series_values(op, "x", x, &nx), *yv = series_values(op, "y", y, &ny);
    if (nx != ny)
        t_raise(T_ERR_SHAPE, "%s: expected x and y of one length, got %lld and %lld", op,
                (long long)nx, (long long)ny);
    Series *s = add_series(op, p, SERIES_SCATTER, opts);
    s->n = nx;
    s->x = xv;
    s->y = yv;
}

/* The finite values' range; raises when there is none. */
static void finite_range(const char *op, const double *v, int64_t n, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        *lo = v[i] < *lo ? v[i] : *lo;
        *hi = v[i] > *hi ? v[i] : *hi;
    }
    if (*lo > *hi) t_raise(T_ERR_VALUE, "%s: expected finite values, got none", op);
}

/* A histogram of equal bins over the finite values' range (numpy.histogram's rule). */
void plot_add_hist_opts(Plot *p, Tensor *values, PlotOpts opts) {
    const char *op = "plot_add_hist";
    check_plot(op, p);
    if (opts.x) t_raise(T_ERR_VALUE, "%s: .x does not apply to a histogram", op);
    if (opts.bins < 0 || opts.bins > MAX_BINS)
        t_raise(T_ERR_VALUE, "%s: expected 1 to %d bins, got %d", op, MAX_BINS, opts.bins);
    int bins = opts.bins ? opts.bins : DEFAULT_BINS;
    int64_t n;
    double *v = t_plot_values(op, values, &n);
    double lo, hi;
    finite_range(op, v, n, &lo, &hi);
    if (lo == hi) { /* numpy's rule for a single value: the range lo - 0.5 .. lo + 0.5 */
        lo -= 0.5;
        hi += 0.5;
    }
    double *edges = t_gc_alloc_atomic((size_t)(bins + 1) * sizeof *edges);
    double *counts = t_gc_alloc_atomic((size_t)bins * sizeof *counts);
    for (int i = 0; i <= bins; i++) edges[i] = lo + (hi - lo) * i / bins;
    for (int i = 0; i < bins; i++) counts[i] = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        int b = (int)((v[i] - lo) / (hi - lo) * bins);
        counts[b >= bins ? bins - 1 : b < 0 ? 0 : b]++; /* the last bin includes hi */
    }
    int overlapping = 0;
    for (int i = 0; i < p->nseries; i++) overlapping += p->series[i].kind == SERIES_HIST;
    Series *s = add_series(op, p, SERIES_HIST, opts);
    if (!opts.alpha && overlapping) s->alpha = OVERLAP_ALPHA;
    for (int i = 0; i < p->nseries - 1 && overlapping && !opts.alpha; i++)
        if (p->series[i].kind == SERIES_HIST && p->series[i].alpha == 1.0)
            p->series[i].alpha = OVERLAP_ALPHA;
    s->n = bins;
    s->x = edges;
    s->y = counts;
}

/* ---- showing ---- */

const unsigned char *plot_png(Plot *p, size_t *len) {
    check_plot("plot_png", p);
    return t_plot_render(p, len);
}

/* What a front end without images shows: the title and the series. */
static const char *plot_text(const Plot *p) {
    TBuf b = {0};
    t_buf_printf(&b, "<Plot %dx%d", p->width, p->height);
    if (p->title) t_buf_printf(&b, " \"%s\"", p->title);
    static const char *const kinds[] = {"line", "scatter", "histogram"};
    for (int i = 0; i < p->nseries; i++) {
        const Series *s = &p->series[i];
        t_buf_printf(&b, "%s %s", i ? "," : ":", kinds[s->kind]);
        if (s->label) t_buf_printf(&b, " \"%s\"", s->label);
    }
    t_buf_puts(&b, ">");
    return b.data;
}

/* The figure as a bundle: PNG, its size as metadata, and a line of text. */
MimeBundle *plot_bundle(Plot *p) {
    size_t len;
    const unsigned char *png = plot_png(p, &len);
    return t_bundle_png_text(png, len, plot_text(p));
}

void plot_show(Plot *p) { t_display_publish(DISPLAY_DATA, plot_bundle(p), NULL); }

/* Writes the figure's PNG to a file. */
void plot_save(Plot *p, const char *path) {
    if (!path) t_raise(T_ERR_VALUE, "plot_save: expected a file path, got NULL");
    size_t len;
    const unsigned char *png = plot_png(p, &len);
    FILE *f = fopen(path, "wb");
    if (!f) t_raise(T_ERR_IO, "plot_save: cannot open \"%s\" for writing: %m", path);
    size_t wrote = fwrite(png, 1, len, f);
    int closed = fclose(f);
    if (wrote != len || closed != 0)
        t_raise(T_ERR_IO, "plot_save: could not write %zu bytes to \"%s\"", len, path);
}

/* ---- one-call plots ---- */

/* A figure made from the figure options of o, with its series options left to the series. */
static Plot *figure_of(PlotOpts o) {
    PlotOpts fig = {.title = o.title, .xlabel = o.xlabel, .ylabel = o.ylabel, .width = o.width,
                    .height = o.height, .xmin = o.xmin, .xmax = o.xmax, .ymin = o.ymin,
                    .ymax = o.ymax};
    return plot_new_opts(fig);
}

/* One line, shown at once. */
void plot_line_opts(Tensor *y, PlotOpts opts) {
    Plot *p = figure_of(opts);
    plot_add_line_opts(p, y, opts);
    plot_show(p);
}

/* One line through a float array, shown at once. */
void plot_line_f_opts(const float *y, int64_t n, PlotOpts opts) {
    Plot *p = figure_of(opts);
    plot_add_line_f_opts(p, y, n, opts);
    plot_show(p);
}

/* One line through a double array, shown at once. */
void plot_line_d_opts(const double *y, int64_t n, PlotOpts opts) {
    Plot *p = figure_of(opts);
    plot_add_line_d_opts(p, y, n, opts);
    plot_show(p);
}

/* One set of points, shown at once. */
void plot_scatter_opts(Tensor *x, Tensor *y, PlotOpts opts) {
    Plot *p = figure_of(opts);
    plot_add_scatter_opts(p, x, y, opts);
    plot_show(p);
}

/* One histogram, shown at once. */
void plot_hist_opts(Tensor *values, PlotOpts opts) {
    Plot *p = figure_of(opts);
    plot_add_hist_opts(p, values, opts);
    plot_show(p);
}
