/* test_plot.c — plots: nice ticks and their labels, colours, histogram counts, and the drawn
   PNG (decoded with libpng: its size, the series' colours, and a border left clear so that no
   label is clipped). */
#include <criterion/criterion.h>
#include <math.h>
#include <png.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "plot.h"

/* A decoded PNG: 8-bit RGB pixels. */
typedef struct Decoded {
    int width, height;
    unsigned char *rgb;
} Decoded;

/* Decodes PNG bytes to RGB with libpng's simplified API. */
static Decoded decode_png(const void *data, size_t len) {
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_memory(&im, data, len), "not a PNG: %s", im.message);
    im.format = PNG_FORMAT_RGB;
    Decoded d = {(int)im.width, (int)im.height, malloc(PNG_IMAGE_SIZE(im))};
    cr_assert(png_image_finish_read(&im, NULL, d.rgb, 0, NULL), "bad PNG: %s", im.message);
    return d;
}

/* The figure drawn and decoded. */
static Decoded render(Plot *p) {
    size_t len;
    const unsigned char *png = plot_png(p, &len);
    return decode_png(png, len);
}

/* How many pixels are within a few levels of the colour "#rrggbb" given as 0xrrggbb. */
static int count_colour(const Decoded *d, unsigned rgb) {
    enum { NEAR = 6 };
    int n = 0;
    for (int i = 0; i < d->width * d->height; i++) {
        const unsigned char *p = d->rgb + (size_t)i * 3;
        n += abs(p[0] - (int)(rgb >> 16 & 0xff)) <= NEAR &&
             abs(p[1] - (int)(rgb >> 8 & 0xff)) <= NEAR && abs(p[2] - (int)(rgb & 0xff)) <= NEAR;
    }
    return n;
}

/* Whether every pixel within border of the image's edge is white. */
static bool border_is_white(const Decoded *d, int border) {
    for (int y = 0; y < d->height; y++)
        for (int x = 0; x < d->width; x++) {
            if (x >= border && x < d->width - border && y >= border && y < d->height - border)
                continue;
            const unsigned char *p = d->rgb + ((size_t)y * (size_t)d->width + (size_t)x) * 3;
            if (p[0] != 255 || p[1] != 255 || p[2] != 255) return false;
        }
    return true;
}

/* ---- ticks ---- */

/* Asserts t_plot_ticks(lo, hi, target) gives step and the n ticks in want. */
static void assert_ticks(double lo, double hi, int target, double step, const double *want,
                         int n) {
    double ticks[PLOT_MAX_TICKS], got_step;
    int got = t_plot_ticks(lo, hi, target, ticks, &got_step);
    cr_assert_float_eq(got_step, step, 1e-12, "step for [%g, %g]: %g", lo, hi, got_step);
    cr_assert_eq(got, n, "ticks for [%g, %g]: %d, expected %d", lo, hi, got, n);
    for (int i = 0; i < n; i++)
        cr_assert_float_eq(ticks[i], want[i], 1e-12, "tick %d for [%g, %g]", i, lo, hi);
}

Test(plot, ticks_are_1_2_5_steps) {
    assert_ticks(0, 1, 5, 0.2, (double[]){0, 0.2, 0.4, 0.6, 0.8, 1.0}, 6);
    assert_ticks(0, 100, 5, 20, (double[]){0, 20, 40, 60, 80, 100}, 6);
    assert_ticks(0.013, 0.087, 4, 0.02, (double[]){0.02, 0.04, 0.06, 0.08}, 4);
    assert_ticks(-7, 7, 3, 5, (double[]){-5, 0, 5}, 3);
    assert_ticks(-0.5, 199.5, 7, 50, (double[]){0, 50, 100, 150, 200}, 4);
    /* a few ticks on a short axis: the finest step that keeps to target + 1 of them */
    assert_ticks(-6.4e6, 0.3e6, 3, 2e6, (double[]){-6e6, -4e6, -2e6, 0}, 4);
    assert_ticks(1e-9, 3e-9, 4, 5e-10, (double[]){1e-9, 1.5e-9, 2e-9, 2.5e-9, 3e-9}, 5);
    double ticks[PLOT_MAX_TICKS], step;
    cr_assert_eq(t_plot_ticks(1, 1, 5, ticks, &step), 0);
    cr_assert_eq(t_plot_ticks(0, NAN, 5, ticks, &step), 0);
}

Test(plot, tick_labels) {
    cr_assert_str_eq(t_plot_tick_label(0.5, 0.1), "0.5");
    cr_assert_str_eq(t_plot_tick_label(0.6000000000000001, 0.2), "0.6");
    cr_assert_str_eq(t_plot_tick_label(0, 0.2), "0.0");
    cr_assert_str_eq(t_plot_tick_label(-1e-17, 0.2), "0.0");
    cr_assert_str_eq(t_plot_tick_label(-2, 1), "\xe2\x88\x92" "2");
    cr_assert_str_eq(t_plot_tick_label(1000, 500), "1000");
    cr_assert_str_eq(t_plot_tick_label(0.025, 0.005), "0.025");
    cr_assert_str_eq(t_plot_tick_label(2.5, 0.5), "2.5");
}

Test(plot, big_and_small_axes_are_labelled_in_a_power_of_ten) {
    cr_assert_eq(t_plot_axis_exponent((double[]){0, 5, 10}, 3), 0);
    cr_assert_eq(t_plot_axis_exponent((double[]){-99999, 0, 99999}, 3), 0);
    cr_assert_eq(t_plot_axis_exponent((double[]){0, 2e6, 4e6}, 3), 6);
    cr_assert_eq(t_plot_axis_exponent((double[]){-6e7, 0}, 2), 7);
    cr_assert_eq(t_plot_axis_exponent((double[]){0, 2e-6, 1e-5}, 3), -5);
    cr_assert_eq(t_plot_axis_exponent((double[]){0}, 1), 0);
    cr_assert_str_eq(t_plot_exponent_label(6), "1e6");
    cr_assert_str_eq(t_plot_exponent_label(-5), "1e\xe2\x88\x92" "5");
}

Test(plot, view_range_margins) {
    double lo = 0, hi = 10;
    t_plot_view_range(&lo, &hi, 0.05);
    cr_assert_float_eq(lo, -0.5, 1e-12);
    cr_assert_float_eq(hi, 10.5, 1e-12);
    lo = hi = 3;
    t_plot_view_range(&lo, &hi, 0.05);
    cr_assert_float_eq(lo, 2.85, 1e-12);
    cr_assert_float_eq(hi, 3.15, 1e-12);
    lo = hi = 0;
    t_plot_view_range(&lo, &hi, 0.05);
    cr_assert_float_eq(lo, -0.5, 1e-12);
    cr_assert_float_eq(hi, 0.5, 1e-12);
}

Test(plot, colours) {
    PlotColor c = t_plot_parse_color("t", "#ff7f0e"), c1 = t_plot_cycle_color(1);
    cr_assert_float_eq(c.r, c1.r, 1e-12);
    cr_assert_float_eq(c.g, 127 / 255.0, 1e-12);
    cr_assert_float_eq(c.b, c1.b, 1e-12);
    PlotColor c3 = t_plot_parse_color("t", "C3");
    cr_assert_float_eq(c3.r, 0xd6 / 255.0, 1e-12); /* tab:red, #d62728 */
    cr_assert_float_eq(t_plot_cycle_color(10).r, t_plot_cycle_color(0).r, 1e-12);
    T_ASSERT_RAISES(T_ERR_VALUE, t_plot_parse_color("plot_add_line", "red"), "plot_add_line",
                    "red");
    T_ASSERT_RAISES(T_ERR_VALUE, t_plot_parse_color("x", "#12345g"), "#12345g");
}

/* ---- series ---- */

Test(plot, histogram_counts) {
    Plot *p = plot_new();
    plot_add_hist(p, t_tensor((float[]){0, 1, 1, 2, 3, 3, 3, 9}, 8), .bins = 3);
    const Series *s = &p->series[0];
    cr_assert_eq(s->n, 3);
    const double edges[] = {0, 3, 6, 9}, counts[] = {4, 3, 1};
    for (int i = 0; i < 4; i++) cr_assert_float_eq(s->x[i], edges[i], 1e-12);
    for (int i = 0; i < 3; i++) cr_assert_float_eq(s->y[i], counts[i], 1e-12);
    /* a second histogram makes both see-through */
    plot_add_hist(p, t_randn(100));
    cr_assert_eq(p->series[1].n, 10);
    cr_assert_float_eq(p->series[0].alpha, 0.6, 1e-12);
    cr_assert_float_eq(p->series[1].alpha, 0.6, 1e-12);
}

Test(plot, series_values_of_any_dtype_and_arrays) {
    Plot *p = plot_new(.title = "t");
    plot_add_line(p, t_tensor_dt(T_I64, (int64_t[]){3, 1, 2}, 3));
    float yf[] = {0.5f, 0.25f};
    double yd[] = {1, 2, 3, 4};
    plot_add_line_f(p, yf, 2, .x = t_tensor((float[]){10, 20}, 2));
    plot_add_line_d(p, yd, 4, .label = "d", .color = "C4");
    cr_assert_eq(p->nseries, 3);
    cr_assert_float_eq(p->series[0].y[0], 3, 1e-12);
    cr_assert_float_eq(p->series[0].x[2], 2, 1e-12);
    cr_assert_float_eq(p->series[1].x[1], 20, 1e-12);
    cr_assert_float_eq(p->series[1].y[1], 0.25, 1e-12);
    cr_assert_str_eq(p->series[2].label, "d");
    cr_assert_float_eq(p->series[2].color.r, t_plot_cycle_color(4).r, 1e-12);
    cr_assert_float_eq(p->series[1].color.r, t_plot_cycle_color(1).r, 1e-12);
}

Test(plot, misuse_raises) {
    Plot *p = plot_new();
    T_ASSERT_RAISES(T_ERR_VALUE, plot_png(p, &(size_t){0}), "no series");
    T_ASSERT_RAISES(T_ERR_SHAPE, plot_add_line(p, t_zeros(2, 2)), "plot_add_line", "[2, 2]");
    T_ASSERT_RAISES(T_ERR_VALUE, plot_add_line(p, t_zeros(0)), "at least one");
    T_ASSERT_RAISES(T_ERR_SHAPE, plot_add_line(p, t_zeros(3), .x = t_zeros(4)), ".x", "3", "4");
    T_ASSERT_RAISES(T_ERR_SHAPE, plot_add_scatter(p, t_zeros(3), t_zeros(2)), "3", "2");
    T_ASSERT_RAISES(T_ERR_VALUE, plot_add_line_f(p, NULL, 3), "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, plot_add_hist(p, t_zeros(5), .bins = -1), "bins");
    T_ASSERT_RAISES(T_ERR_VALUE, plot_add_hist(p, t_full(NAN, 3)), "finite");
    T_ASSERT_RAISES(T_ERR_VALUE, plot_new(.width = 10), "size");
    T_ASSERT_RAISES(T_ERR_VALUE, plot_new(.label = "x"), "plot_add_line");
    T_ASSERT_RAISES(T_ERR_VALUE, plot_new(.xmin = 2, .xmax = 1), "xmin < xmax");
    T_ASSERT_RAISES(T_ERR_VALUE, plot_add_line(NULL, t_zeros(3)), "Plot");
    T_ASSERT_RAISES(T_ERR_VALUE, plot_add_line(p, t_zeros(3), .color = "blue"), "blue");
    cr_assert_eq(p->nseries, 0);
}

/* ---- the drawn figure ---- */

Test(plot, lines_are_drawn_in_the_cycle_colours_with_a_legend) {
    Plot *p = plot_new(.title = "loss", .xlabel = "step", .ylabel = "cross-entropy");
    float train[100], test[100];
    for (int i = 0; i < 100; i++) {
        train[i] = 2.3f * expf(-i / 20.0f);
        test[i] = 2.3f * expf(-i / 30.0f) + 0.2f;
    }
    plot_add_line_f(p, train, 100, .label = "train");
    plot_add_line_f(p, test, 100, .label = "test");
    Decoded d = render(p);
    cr_assert_eq(d.width, 640);
    cr_assert_eq(d.height, 400);
    cr_assert_gt(count_colour(&d, 0x1f77b4), 300, "too little tab:blue");
    cr_assert_gt(count_colour(&d, 0xff7f0e), 300, "too little tab:orange");
    cr_assert_gt(count_colour(&d, 0x000000), 500, "too little black text and frame");
    cr_assert(border_is_white(&d, 4), "something is drawn at the figure's edge");
}

Test(plot, long_labels_and_big_numbers_are_not_clipped) {
    Plot *p = plot_new(.title = "a long title for a small figure", .xlabel = "a long x label",
                       .ylabel = "a long y label", .width = 320, .height = 240);
    plot_add_line(p, t_mul_s(t_arange(0, 50, 1), -123456.789), .x = t_arange(-1e4, 4e4, 1000));
    Decoded d = render(p);
    cr_assert_eq(d.width, 320);
    cr_assert_eq(d.height, 240);
    cr_assert(border_is_white(&d, 3), "something is drawn at the figure's edge");
}

Test(plot, scatter_and_hist_draw) {
    t_manual_seed(0);
    Plot *p = plot_new(.width = 400, .height = 300);
    plot_add_scatter(p, t_randn(50), t_randn(50), .color = "#2ca02c");
    Decoded d = render(p);
    cr_assert_eq(d.width, 400);
    cr_assert_gt(count_colour(&d, 0x2ca02c), 200);
    Plot *h = plot_new();
    plot_add_hist(h, t_randn(1000), .bins = 20, .color = "C3");
    Decoded e = render(h);
    cr_assert_gt(count_colour(&e, 0xd62728), 10000); /* bars fill much of the axes */
}

/* Bundles shown, counted by count_hook. */
static int shown;
static const MimeBundle *last;
static void count_hook(void *ctx, DisplayKind kind, const MimeBundle *b, const char *id) {
    (void)ctx;
    cr_assert_eq(kind, DISPLAY_DATA);
    cr_assert_null(id);
    last = b;
    shown++;
}

Test(plot, one_call_plots_publish_a_png) {
    t_display_set_hook(count_hook, NULL);
    plot_line(t_arange(0, 10, 1), .title = "ramp", .label = "y = x");
    cr_assert_eq(shown, 1);
    size_t len;
    const char *png = mime_get(last, "image/png", &len);
    cr_assert_not_null(png);
    cr_assert_str_eq(last->metadata, "{\"image/png\": {\"width\": 640, \"height\": 400}}");
    cr_assert_str_eq(mime_get(last, "text/plain", NULL), "<Plot 640x400 \"ramp\": line \"y = x\">");
    plot_scatter(t_randn(5), t_randn(5));
    plot_hist(t_randn(100), .bins = 5);
    float yf[] = {1, 2};
    double yd[] = {1, 2};
    plot_line_f(yf, 2);
    plot_line_d(yd, 2, .height = 300);
    cr_assert_eq(shown, 5);
    cr_assert_str_eq(last->metadata, "{\"image/png\": {\"width\": 640, \"height\": 300}}");
    t_display_set_hook(NULL, NULL);
}

Test(plot, save_writes_a_png_file) {
    Plot *p = plot_new();
    plot_add_line(p, t_arange(0, 5, 1));
    char path[] = "/tmp/ctorch_plot_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    plot_save(p, path);
    FILE *f = fopen(path, "rb");
    unsigned char head[8];
    cr_assert_eq(fread(head, 1, 8, f), 8);
    fclose(f);
    remove(path);
    cr_assert_arr_eq(head, "\x89PNG\r\n\x1a\n", 8);
    T_ASSERT_RAISES(T_ERR_IO, plot_save(p, "/nonexistent-dir/x.png"), "/nonexistent-dir/x.png");
}
