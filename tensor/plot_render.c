/*
 * plot_render.c — draws a figure with cairo in matplotlib's default style: white axes framed
 * by thin black spines, outward ticks at 1-2-5 steps with their labels, DejaVu Sans text,
 * tab10 colours, a legend placed where it hides the fewest data, and room computed for every
 * label so that none is clipped.
 */
#include <math.h>
#include <string.h>

#include "plot.h"

/* Text sizes in pixels: tick labels, axis labels and legend, title. */
static const double TICK_FONT = 12, LABEL_FONT = 13, LEGEND_FONT = 12, TITLE_FONT = 15;
/* Spacing in pixels: around the figure, tick length, between a tick and its label, between
   tick labels and the axis label, between the axes and the title. */
static const double PAD = 10, TICK_LEN = 4, TICK_PAD = 3, LABEL_PAD = 6, TITLE_PAD = 8;
/* Space in pixels between an axis's power of ten ("1e6") and what is next to it. */
static const double EXP_PAD = 3;
/* Stroke widths in pixels: spines and ticks. */
static const double SPINE_WIDTH = 1;
/* matplotlib's axes.xmargin / ymargin: the view extends 5% past the data. */
static const double DATA_MARGIN = 0.05;
/* Pixels per tick wanted on each axis (x labels are wider than y labels are tall), and the
   least and most ticks asked for. */
static const double X_PX_PER_TICK = 80, Y_PX_PER_TICK = 40;
enum { MIN_TICKS = 3, MAX_TARGET_TICKS = 10 };
/* Least room between two x tick labels, in pixels. */
static const double TICK_LABEL_GAP = 8;
/* Legend geometry (matplotlib's, in pixels at this font size): inner padding, handle length,
   gap between handle and text, gap between rows, distance from the axes, corner radius. */
static const double LEG_PAD = 6, LEG_HANDLE = 24, LEG_HANDLE_GAP = 7, LEG_ROW_GAP = 4,
                    LEG_INSET = 8, LEG_RADIUS = 3;
/* The legend's frame: white at 0.8 opacity, edged in light grey, as matplotlib's. */
static const double LEG_FACE_ALPHA = 0.8, LEG_EDGE_GREY = 0.8;
/* How tall a histogram's legend handle is, as a fraction of the text height. */
static const double LEG_PATCH_HEIGHT = 0.7;

/* The axes: data range shown and where it lies on the figure, in pixels. */
typedef struct Axes {
    double x0, x1, y0, y1;          /* view limits in data units */
    double left, top, width, height; /* the axes rectangle */
    double xticks[PLOT_MAX_TICKS], yticks[PLOT_MAX_TICKS], xstep, ystep;
    int nx, ny;
    int xexp, yexp; /* the power of ten each axis is labelled in (0: none) */
} Axes;

/* Data x to pixels. */
static double px_x(const Axes *a, double x) {
    return a->left + (x - a->x0) / (a->x1 - a->x0) * a->width;
}

/* Data y to pixels (up is smaller y on the figure). */
static double px_y(const Axes *a, double y) {
    return a->top + a->height - (y - a->y0) / (a->y1 - a->y0) * a->height;
}

/* ---- the view range ---- */

/* Widens [*lo, *hi] to hold the finite values of v. */
static void extend(double *lo, double *hi, const double *v, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        *lo = v[i] < *lo ? v[i] : *lo;
        *hi = v[i] > *hi ? v[i] : *hi;
    }
}

/* The view: the data's range plus margins (histograms stand on y = 0, which stays the
   bottom), unless the figure fixes limits. */
static void view_range(const Plot *p, Axes *a) {
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    bool hist = false;
    for (int i = 0; i < p->nseries; i++) {
        const Series *s = &p->series[i];
        extend(&xlo, &xhi, s->x, s->kind == SERIES_HIST ? s->n + 1 : s->n);
        extend(&ylo, &yhi, s->y, s->n);
        if (s->kind == SERIES_HIST) {
            hist = true;
            ylo = ylo > 0 ? 0 : ylo;
        }
    }
    if (xlo > xhi) xlo = xhi = 0; /* nothing finite to show: an empty unit view */
    if (ylo > yhi) ylo = yhi = 0;
    bool sticky_bottom = hist && ylo == 0;
    t_plot_view_range(&xlo, &xhi, DATA_MARGIN);
    t_plot_view_range(&ylo, &yhi, DATA_MARGIN);
    if (sticky_bottom) ylo = 0;
    bool fixed_x = p->xmin < p->xmax, fixed_y = p->ymin < p->ymax;
    a->x0 = fixed_x ? p->xmin : xlo;
    a->x1 = fixed_x ? p->xmax : xhi;
    a->y0 = fixed_y ? p->ymin : ylo;
    a->y1 = fixed_y ? p->ymax : yhi;
}

/* ---- layout ---- */

/* The label of a tick on an axis labelled in units of 10^exponent. */
static const char *tick_text(double v, double step, int exponent) {
    double unit = pow(10, exponent);
    return t_plot_tick_label(v / unit, step / unit);
}

/* The widest label among the ticks, and the height of a label. */
static void tick_label_size(cairo_t *cr, const double *ticks, int n, double step, int exponent,
                            double *w, double *h) {
    *w = 0;
    t_draw_text_size(cr, "0", TICK_FONT, false, NULL, h);
    for (int i = 0; i < n; i++) {
        double tw;
        t_draw_text_size(cr, tick_text(ticks[i], step, exponent), TICK_FONT, false, &tw, NULL);
        *w = tw > *w ? tw : *w;
    }
}

/* Clamps a wanted tick count to [MIN_TICKS, MAX_TARGET_TICKS]. */
static int tick_target(double length, double px_per_tick) {
    int n = (int)(length / px_per_tick);
    return n < MIN_TICKS ? MIN_TICKS : n > MAX_TARGET_TICKS ? MAX_TARGET_TICKS : n;
}

/* x ticks for the axes' width, fewer until their labels do not touch. */
static void place_xticks(cairo_t *cr, Axes *a) {
    for (int target = tick_target(a->width, X_PX_PER_TICK); target >= 1; target--) {
        a->nx = t_plot_ticks(a->x0, a->x1, target, a->xticks, &a->xstep);
        a->xexp = t_plot_axis_exponent(a->xticks, a->nx);
        double w, h;
        tick_label_size(cr, a->xticks, a->nx, a->xstep, a->xexp, &w, &h);
        double spacing = a->xstep / (a->x1 - a->x0) * a->width;
        if (a->nx < 2 || w + TICK_LABEL_GAP <= spacing) return;
    }
}

/* Ticks on both axes and the axes rectangle that leaves room for every label: two passes,
   since the ticks depend on the axes' size and the margins on the tick labels. */
static void layout(cairo_t *cr, const Plot *p, Axes *a) {
    double label_h = 0, title_h = 0, tick_w = 0, tick_h = 0;
    if (p->xlabel || p->ylabel) t_draw_text_size(cr, "Ag", LABEL_FONT, false, NULL, &label_h);
    if (p->title) t_draw_text_size(cr, p->title, TITLE_FONT, false, NULL, &title_h);
    a->left = PAD + tick_w;
    a->top = PAD;
    a->width = p->width - 2 * PAD;
    a->height = p->height - 2 * PAD;
    for (int pass = 0; pass < 2; pass++) {
        a->ny = t_plot_ticks(a->y0, a->y1, tick_target(a->height, Y_PX_PER_TICK), a->yticks,
                             &a->ystep);
        a->yexp = t_plot_axis_exponent(a->yticks, a->ny);
        tick_label_size(cr, a->yticks, a->ny, a->ystep, a->yexp, &tick_w, &tick_h);
        place_xticks(cr, a);
        double first_w = 0, last_w = 0;
        if (a->nx) {
            t_draw_text_size(cr, tick_text(a->xticks[0], a->xstep, a->xexp), TICK_FONT, false,
                             &first_w, NULL);
            t_draw_text_size(cr, tick_text(a->xticks[a->nx - 1], a->xstep, a->xexp), TICK_FONT,
                             false, &last_w, NULL);
        }
        double left = PAD + (p->ylabel ? label_h + LABEL_PAD : 0) + tick_w + TICK_PAD + TICK_LEN;
        double bottom = PAD + (p->xlabel ? label_h + LABEL_PAD : 0) + tick_h + TICK_PAD + TICK_LEN +
                        (a->xexp ? tick_h + EXP_PAD : 0);
        double top = PAD + (p->title ? title_h + TITLE_PAD : tick_h / 2) +
                     (a->yexp ? tick_h + EXP_PAD : 0);
        double right = PAD + (a->nx ? last_w / 2 : 0);
        /* the first and last x labels hang past the axes by half their width */
        double first_px = a->nx ? (a->xticks[0] - a->x0) / (a->x1 - a->x0) * a->width : 0;
        if (left + first_px - first_w / 2 < PAD) left = PAD + first_w / 2 - first_px;
        a->left = round(left);
        a->top = round(top);
        a->width = round(p->width - left - right);
        a->height = round(p->height - top - bottom);
    }
}

/* ---- series ---- */

/* Whether point i of s can be drawn. */
static bool finite_point(const Series *s, int64_t i) {
    return isfinite(s->x[i]) && isfinite(s->y[i]);
}

/* A line through the finite points; non-finite ones break it, as in matplotlib. */
static void draw_line(cairo_t *cr, const Axes *a, const Series *s) {
    cairo_set_line_width(cr, s->linewidth);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    bool open = false;
    for (int64_t i = 0; i < s->n; i++) {
        if (!finite_point(s, i)) {
            open = false;
            continue;
        }
        double x = px_x(a, s->x[i]), y = px_y(a, s->y[i]);
        if (open) cairo_line_to(cr, x, y);
        else cairo_move_to(cr, x, y);
        open = true;
    }
    cairo_stroke(cr);
}

/* Filled circles at the finite points. */
static void draw_scatter(cairo_t *cr, const Axes *a, const Series *s) {
    for (int64_t i = 0; i < s->n; i++) {
        if (!finite_point(s, i)) continue;
        cairo_new_sub_path(cr);
        cairo_arc(cr, px_x(a, s->x[i]), px_y(a, s->y[i]), s->marker_size, 0, 2 * M_PI);
    }
    cairo_fill(cr);
}

/* Bars from y = 0 to each count, edge to edge. */
static void draw_hist(cairo_t *cr, const Axes *a, const Series *s) {
    double base = px_y(a, 0);
    for (int64_t i = 0; i < s->n; i++) {
        if (s->y[i] == 0) continue;
        double x0 = px_x(a, s->x[i]), x1 = px_x(a, s->x[i + 1]), top = px_y(a, s->y[i]);
        cairo_rectangle(cr, x0, top, x1 - x0, base - top);
    }
    cairo_fill(cr);
}

/* Every series in order, clipped to the axes. */
static void draw_series(cairo_t *cr, const Plot *p, const Axes *a) {
    cairo_save(cr);
    cairo_rectangle(cr, a->left, a->top, a->width, a->height);
    cairo_clip(cr);
    for (int i = 0; i < p->nseries; i++) {
        const Series *s = &p->series[i];
        cairo_set_source_rgba(cr, s->color.r, s->color.g, s->color.b, s->alpha);
        if (s->kind == SERIES_LINE) draw_line(cr, a, s);
        else if (s->kind == SERIES_SCATTER) draw_scatter(cr, a, s);
        else draw_hist(cr, a, s);
    }
    cairo_restore(cr);
}

/* ---- axes furniture ---- */

/* The frame, the ticks and their labels. Lines sit on pixel centres to stay sharp. */
static void draw_frame(cairo_t *cr, const Axes *a) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, SPINE_WIDTH);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
    double l = a->left + 0.5, t = a->top + 0.5, r = a->left + a->width - 0.5,
           b = a->top + a->height - 0.5;
    cairo_rectangle(cr, l, t, r - l, b - t);
    for (int i = 0; i < a->nx; i++) {
        double x = floor(px_x(a, a->xticks[i])) + 0.5;
        cairo_move_to(cr, x, b);
        cairo_line_to(cr, x, b + TICK_LEN);
    }
    for (int i = 0; i < a->ny; i++) {
        double y = floor(px_y(a, a->yticks[i])) + 0.5;
        cairo_move_to(cr, l, y);
        cairo_line_to(cr, l - TICK_LEN, y);
    }
    cairo_stroke(cr);
    double tick_h;
    t_draw_text_size(cr, "0", TICK_FONT, false, NULL, &tick_h);
    for (int i = 0; i < a->nx; i++) {
        DrawText t = {tick_text(a->xticks[i], a->xstep, a->xexp), px_x(a, a->xticks[i]),
                      b + TICK_LEN + TICK_PAD + tick_h / 2, TICK_FONT, 0};
        t_draw_text(cr, &t);
    }
    for (int i = 0; i < a->ny; i++) {
        DrawText t = {tick_text(a->yticks[i], a->ystep, a->yexp), l - TICK_LEN - TICK_PAD,
                      px_y(a, a->yticks[i]), TICK_FONT, 1};
        t_draw_text(cr, &t);
    }
    /* the power of ten of an axis: above the y axis, under the x axis's right end */
    if (a->yexp) {
        DrawText t = {t_plot_exponent_label(a->yexp), a->left, a->top - EXP_PAD - tick_h / 2,
                      TICK_FONT, -1};
        t_draw_text(cr, &t);
    }
    if (a->xexp) {
        DrawText t = {t_plot_exponent_label(a->xexp), a->left + a->width,
                      b + TICK_LEN + TICK_PAD + tick_h + EXP_PAD + tick_h / 2, TICK_FONT, 1};
        t_draw_text(cr, &t);
    }
}

/* The title over the axes and the axis labels beside them. */
static void draw_labels(cairo_t *cr, const Plot *p, const Axes *a) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    double label_h = 0, title_h = 0;
    t_draw_text_size(cr, "Ag", LABEL_FONT, false, NULL, &label_h);
    if (p->title) {
        double w;
        t_draw_text_size(cr, p->title, TITLE_FONT, false, &w, &title_h);
        double cx = a->left + a->width / 2;
        if (cx - w / 2 < PAD) cx = PAD + w / 2; /* a long title moves right rather than clip */
        DrawText t = {p->title, cx, PAD + title_h / 2, TITLE_FONT, 0};
        t_draw_text(cr, &t);
    }
    if (p->xlabel) {
        DrawText t = {p->xlabel, a->left + a->width / 2, p->height - PAD - label_h / 2,
                      LABEL_FONT, 0};
        t_draw_text(cr, &t);
    }
    if (p->ylabel) {
        DrawText t = {p->ylabel, PAD + label_h / 2, a->top + a->height / 2, LABEL_FONT, 0, 1};
        t_draw_text(cr, &t);
    }
}

/* ---- legend ---- */

/* Whether the segment (x0, y0)-(x1, y1) meets the box [l, r] × [t, b] (Liang-Barsky). */
static bool segment_meets_box(double x0, double y0, double x1, double y1, double l, double t,
                              double r, double b) {
    double dx = x1 - x0, dy = y1 - y0, lo = 0, hi = 1;
    double p[4] = {-dx, dx, -dy, dy}, q[4] = {x0 - l, r - x0, y0 - t, b - y0};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0) return false;
            continue;
        }
        double u = q[i] / p[i];
        if (p[i] < 0) lo = u > lo ? u : lo;
        else hi = u < hi ? u : hi;
        if (lo > hi) return false;
    }
    return true;
}

/* How much of the data a legend box at (l, t) of size w × h would hide: points and line
   segments and bars that meet it (matplotlib's "best" location counts the same things). */
static int64_t legend_badness(const Plot *p, const Axes *a, double l, double t, double w,
                              double h) {
    int64_t bad = 0;
    double r = l + w, b = t + h;
    for (int i = 0; i < p->nseries; i++) {
        const Series *s = &p->series[i];
        for (int64_t k = 0; k < s->n; k++) {
            if (s->kind == SERIES_HIST) {
                double x0 = px_x(a, s->x[k]), x1 = px_x(a, s->x[k + 1]), top = px_y(a, s->y[k]);
                bad += s->y[k] != 0 && x1 > l && x0 < r && top < b;
                continue;
            }
            if (!finite_point(s, k)) continue;
            double x = px_x(a, s->x[k]), y = px_y(a, s->y[k]);
            bad += x >= l && x <= r && y >= t && y <= b;
            if (s->kind == SERIES_LINE && k + 1 < s->n && finite_point(s, k + 1))
                bad += segment_meets_box(x, y, px_x(a, s->x[k + 1]), px_y(a, s->y[k + 1]), l, t,
                                         r, b);
        }
    }
    return bad;
}

/* A rounded rectangle path. */
static void rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
    cairo_arc(cr, x + r, y + r, r, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
}

/* One legend entry's handle: a line, a marker or a patch, centred on (x, y). */
static void draw_handle(cairo_t *cr, const Series *s, double x, double y, double text_h) {
    cairo_set_source_rgba(cr, s->color.r, s->color.g, s->color.b, s->alpha);
    if (s->kind == SERIES_LINE) {
        cairo_set_line_width(cr, s->linewidth);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
        cairo_move_to(cr, x - LEG_HANDLE / 2, y);
        cairo_line_to(cr, x + LEG_HANDLE / 2, y);
        cairo_stroke(cr);
    } else if (s->kind == SERIES_SCATTER) {
        cairo_arc(cr, x, y, s->marker_size, 0, 2 * M_PI);
        cairo_fill(cr);
    } else {
        double ph = text_h * LEG_PATCH_HEIGHT;
        cairo_rectangle(cr, x - LEG_HANDLE / 2, y - ph / 2, LEG_HANDLE, ph);
        cairo_fill(cr);
    }
}

/* The legend of the labelled series, in the corner or side that hides the least data. */
static void draw_legend(cairo_t *cr, const Plot *p, const Axes *a) {
    int n = 0;
    double text_w = 0, text_h;
    t_draw_text_size(cr, "Ag", LEGEND_FONT, false, NULL, &text_h);
    for (int i = 0; i < p->nseries; i++) {
        if (!p->series[i].label) continue;
        double w;
        t_draw_text_size(cr, p->series[i].label, LEGEND_FONT, false, &w, NULL);
        text_w = w > text_w ? w : text_w;
        n++;
    }
    if (n == 0) return;
    double w = 2 * LEG_PAD + LEG_HANDLE + LEG_HANDLE_GAP + text_w;
    double h = 2 * LEG_PAD + n * text_h + (n - 1) * LEG_ROW_GAP;
    /* matplotlib's order of preference: upper right, upper left, lower left, lower right,
       right, centre left, centre right, lower centre, upper centre */
    double lx = a->left + LEG_INSET, rx = a->left + a->width - LEG_INSET - w,
           cx = a->left + (a->width - w) / 2, ty = a->top + LEG_INSET,
           by = a->top + a->height - LEG_INSET - h, cy = a->top + (a->height - h) / 2;
    const double spots[][2] = {{rx, ty}, {lx, ty}, {lx, by}, {rx, by}, {rx, cy},
                               {lx, cy}, {cx, by}, {cx, ty}};
    int best = 0;
    int64_t least = -1;
    for (int i = 0; i < (int)(sizeof spots / sizeof spots[0]); i++) {
        int64_t bad = legend_badness(p, a, spots[i][0], spots[i][1], w, h);
        if (least < 0 || bad < least) {
            least = bad;
            best = i;
        }
    }
    double x = round(spots[best][0]) + 0.5, y = round(spots[best][1]) + 0.5;
    rounded_rect(cr, x, y, w, h, LEG_RADIUS);
    cairo_set_source_rgba(cr, 1, 1, 1, LEG_FACE_ALPHA);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, LEG_EDGE_GREY, LEG_EDGE_GREY, LEG_EDGE_GREY);
    cairo_set_line_width(cr, SPINE_WIDTH);
    cairo_stroke(cr);
    double row_y = y + LEG_PAD + text_h / 2;
    for (int i = 0; i < p->nseries; i++) {
        const Series *s = &p->series[i];
        if (!s->label) continue;
        draw_handle(cr, s, x + LEG_PAD + LEG_HANDLE / 2, row_y, text_h);
        cairo_set_source_rgb(cr, 0, 0, 0);
        DrawText t = {s->label, x + LEG_PAD + LEG_HANDLE + LEG_HANDLE_GAP, row_y, LEGEND_FONT,
                      -1};
        t_draw_text(cr, &t);
        row_y += text_h + LEG_ROW_GAP;
    }
}

/* ---- the figure ---- */

const unsigned char *t_plot_render(const Plot *p, size_t *len) {
    if (p->nseries == 0)
        t_raise(T_ERR_VALUE, "plot_show: the plot has no series; add one with plot_add_line, "
                "plot_add_scatter or plot_add_hist");
    Axes a;
    memset(&a, 0, sizeof a);
    view_range(p, &a);
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, p->width, p->height);
    cairo_t *cr = t_draw_begin(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    layout(cr, p, &a);
    draw_series(cr, p, &a);
    draw_frame(cr, &a);
    draw_labels(cr, p, &a);
    draw_legend(cr, p, &a);
    cairo_destroy(cr);
    const unsigned char *png = t_draw_png(surface, len);
    cairo_surface_destroy(surface);
    return png;
}
