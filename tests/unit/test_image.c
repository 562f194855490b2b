/* test_image.c — t_imshow's PNGs (decoded with libpng and compared pixel by pixel),
   t_make_grid against torchvision's layout, labelled grids, and the HTML/Markdown/PNG displays. */
#include <criterion/criterion.h>
#include <png.h>
#include <string.h>

#include "helpers.h"
#include "plot.h"

/* A decoded PNG: 8-bit RGB pixels. */
typedef struct Decoded {
    int width, height;
    unsigned char *rgb;
} Decoded;

/* Decodes PNG bytes to RGB with libpng's simplified API, failing the test if they are not
   a valid PNG. */
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

/* Channel c of pixel (x, y). */
static int px(const Decoded *d, int x, int y, int c) {
    return d->rgb[((size_t)y * (size_t)d->width + (size_t)x) * 3 + (size_t)c];
}

/* The bundle's PNG, decoded, after checking that its metadata states the decoded size. */
static Decoded bundle_png(const MimeBundle *b) {
    size_t len;
    const char *png = mime_get(b, "image/png", &len);
    cr_assert_not_null(png);
    Decoded d = decode_png(png, len);
    cr_assert_not_null(b->metadata);
    char want[128];
    snprintf(want, sizeof want, "{\"image/png\": {\"width\": %d, \"height\": %d}}", d.width,
             d.height);
    cr_assert_str_eq(b->metadata, want);
    cr_assert_not_null(mime_get(b, "text/plain", NULL));
    return d;
}

Test(image, grey_unit_range_maps_to_levels) {
    Tensor *x = t_tensor((float[]){0, 0.5f, 1, 0.25f, 0.75f, 0.1f}, 2, 3);
    Decoded d = bundle_png(t_bundle_image(x, (ImshowOpts){.scale = 1}));
    cr_assert_eq(d.width, 3);
    cr_assert_eq(d.height, 2);
    const int want[] = {0, 128, 255, 64, 191, 26};
    for (int i = 0; i < 6; i++)
        for (int c = 0; c < 3; c++) cr_assert_eq(px(&d, i % 3, i / 3, c), want[i], "pixel %d", i);
}

Test(image, values_outside_unit_range_scale_min_to_max) {
    Tensor *x = t_tensor_dt(T_F64, (double[]){-2, 0, 2, 6}, 1, 4);
    Decoded d = bundle_png(t_bundle_image(x, (ImshowOpts){.scale = 1}));
    const int want[] = {0, 64, 128, 255};
    for (int i = 0; i < 4; i++) cr_assert_eq(px(&d, i, 0, 0), want[i], "pixel %d", i);
}

Test(image, uint8_is_shown_as_is_and_vmin_vmax_override) {
    Tensor *x = t_tensor_dt(T_U8, (uint8_t[]){0, 10, 200, 255}, 2, 2);
    Decoded d = bundle_png(t_bundle_image(x, (ImshowOpts){.scale = 1}));
    cr_assert_eq(px(&d, 1, 0, 0), 10);
    cr_assert_eq(px(&d, 0, 1, 0), 200);
    Tensor *f = t_tensor((float[]){0, 5, 10, 20}, 2, 2);
    Decoded e = bundle_png(t_bundle_image(f, (ImshowOpts){.scale = 1, .vmin = 0, .vmax = 10}));
    cr_assert_eq(px(&e, 1, 0, 0), 128);
    cr_assert_eq(px(&e, 0, 1, 0), 255);
    cr_assert_eq(px(&e, 1, 1, 0), 255); /* clipped */
}

Test(image, rgb_channels_in_order) {
    Tensor *x = t_zeros(3, 1, 2);
    t_set(x, 1.0, 0, 0, 0); /* red at (0, 0) */
    t_set(x, 1.0, 2, 0, 1); /* blue at (1, 0) */
    Decoded d = bundle_png(t_bundle_image(x, (ImshowOpts){.scale = 1}));
    cr_assert_eq(px(&d, 0, 0, 0), 255);
    cr_assert_eq(px(&d, 0, 0, 2), 0);
    cr_assert_eq(px(&d, 1, 0, 0), 0);
    cr_assert_eq(px(&d, 1, 0, 2), 255);
}

Test(image, scale_repeats_pixels_and_small_images_grow) {
    Tensor *x = t_tensor((float[]){0, 1, 1, 0}, 1, 2, 2);
    Decoded d = bundle_png(t_bundle_image(x, (ImshowOpts){.scale = 4}));
    cr_assert_eq(d.width, 8);
    cr_assert_eq(d.height, 8);
    for (int y = 0; y < 8; y++)
        for (int xx = 0; xx < 8; xx++)
            cr_assert_eq(px(&d, xx, y, 0), ((xx / 4) ^ (y / 4)) ? 255 : 0);
    Decoded mnist = bundle_png(t_bundle_image(t_rand(1, 28, 28), (ImshowOpts){0}));
    cr_assert_eq(mnist.width, 112); /* 28 × 4: at least 112 pixels a side */
    cr_assert_eq(mnist.height, 112);
    Decoded big = bundle_png(t_bundle_image(t_rand(200, 300), (ImshowOpts){0}));
    cr_assert_eq(big.width, 300);
    cr_assert_eq(big.height, 200);
}

Test(image, title_adds_a_band_above) {
    Decoded d = bundle_png(t_bundle_image(t_zeros(10, 120), (ImshowOpts){.scale = 1,
                                                                       .title = "zeros"}));
    cr_assert_eq(d.width, 120);
    cr_assert_gt(d.height, 10);
    int dark = 0; /* the title's ink on the white band */
    for (int y = 0; y < d.height - 10; y++)
        for (int x = 0; x < d.width; x++) dark += px(&d, x, y, 0) < 128;
    cr_assert_gt(dark, 10);
    cr_assert_eq(px(&d, 0, d.height - 1, 0), 0); /* the image itself stays black */
}

Test(image, bad_images_raise) {
    T_ASSERT_RAISES(T_ERR_SHAPE, t_bundle_image(t_zeros(2, 2, 2), (ImshowOpts){0}), "t_imshow",
                    "[2, 2, 2]");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_bundle_image(t_zeros(4, 1, 2, 2), (ImshowOpts){0}),
                    "t_make_grid");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_bundle_image(t_zeros(5, 5, 3), (ImshowOpts){0}), "t_permute");
    T_ASSERT_RAISES(T_ERR_VALUE, t_bundle_image(t_zeros(2, 2), (ImshowOpts){.scale = -1}),
                    "scale");
    T_ASSERT_RAISES(T_ERR_VALUE, t_bundle_image(t_zeros(2, 2), (ImshowOpts){.vmin = 1, .vmax = 1}),
                    "vmin < vmax");
    T_ASSERT_RAISES(T_ERR_VALUE, t_bundle_image(t_zeros(0, 2), (ImshowOpts){0}), "[0, 2]");
    T_ASSERT_RAISES(T_ERR_VALUE, t_bundle_image(NULL, (ImshowOpts){0}), "NULL");
}

/* ---- make_grid ---- */

Test(image, make_grid_layout_matches_torchvision) {
    /* three 2×2 grey images holding 1, 2, 3; nrow 2, padding 1: torchvision gives [3, 7, 7] */
    Tensor *b = t_empty(3, 1, 2, 2);
    for (int k = 0; k < 3; k++) t_fill_(t_select(b, 0, k), k + 1);
    Tensor *g = t_make_grid(b, .nrow = 2, .padding = 1, .pad_value = -1);
    T_ASSERT_SHAPE(g, 3, 7, 7);
    const double row0[] = {-1, -1, -1, -1, -1, -1, -1};
    const double row1[] = {-1, 1, 1, -1, 2, 2, -1};
    const double row4[] = {-1, 3, 3, -1, -1, -1, -1};
    for (int c = 0; c < 3; c++)
        for (int x = 0; x < 7; x++) {
            cr_assert_eq(t_get(g, c, 0, x), row0[x]);
            cr_assert_eq(t_get(g, c, 1, x), row1[x]);
            cr_assert_eq(t_get(g, c, 2, x), row1[x]);
            cr_assert_eq(t_get(g, c, 3, x), row0[x]);
            cr_assert_eq(t_get(g, c, 4, x), row4[x]);
            cr_assert_eq(t_get(g, c, 6, x), row0[x]);
        }
}

Test(image, make_grid_defaults_and_sizes) {
    /* torchvision: 10 images of 28×28, nrow 8, padding 2 -> [3, 2 * 30 + 2, 8 * 30 + 2] */
    T_ASSERT_SHAPE(t_make_grid(t_rand(10, 1, 28, 28)), 3, 62, 242);
    T_ASSERT_SHAPE(t_make_grid(t_rand(10, 3, 28, 28), .nrow = 5), 3, 62, 152);
    T_ASSERT_SHAPE(t_make_grid(t_rand(4, 1, 5, 6), .padding = T_GRID_NO_PADDING), 3, 5, 24);
    /* one image comes back as itself, with three channels */
    Tensor *one = t_rand(1, 1, 4, 4);
    Tensor *g = t_make_grid(one);
    T_ASSERT_SHAPE(g, 3, 4, 4);
    cr_assert_eq(t_get(g, 2, 3, 1), t_get(one, 0, 0, 3, 1));
    T_ASSERT_SHAPE(t_make_grid(t_rand(5, 7)), 3, 5, 7);
}

Test(image, make_grid_normalize) {
    Tensor *b = t_tensor((float[]){-2, 0, 2, 6}, 2, 1, 1, 2);
    Tensor *g = t_make_grid(b, .padding = T_GRID_NO_PADDING, .normalize = true);
    T_ASSERT_SHAPE(g, 3, 1, 4);
    T_ASSERT_VALUES(t_select(g, 0, 0), 1e-6, 0, 0.25, 0.5, 1);
    Tensor *each = t_make_grid(b, .padding = T_GRID_NO_PADDING, .normalize = true,
                               .scale_each = true);
    T_ASSERT_VALUES(t_select(each, 0, 0), 1e-6, 0, 1, 0, 1);
    Tensor *ranged = t_make_grid(b, .padding = T_GRID_NO_PADDING, .normalize = true, .vmin = 0,
                                 .vmax = 4);
    T_ASSERT_VALUES(t_select(ranged, 0, 0), 1e-6, 0, 0, 0.5, 1);
}

Test(image, make_grid_errors) {
    T_ASSERT_RAISES(T_ERR_SHAPE, t_make_grid(t_zeros(2, 2, 2, 2, 2)), "t_make_grid",
                    "[2, 2, 2, 2, 2]");
    T_ASSERT_RAISES(T_ERR_VALUE, t_make_grid(t_zeros(2, 1, 2, 2), .nrow = -3), "nrow");
    T_ASSERT_RAISES(T_ERR_VALUE, t_make_grid(t_zeros(2, 1, 2, 2), .padding = -5), "padding");
    const char *labels[] = {"a", "b"};
    T_ASSERT_RAISES(T_ERR_VALUE, t_make_grid(t_zeros(2, 1, 2, 2), .labels = labels),
                    "t_imshow_grid");
}

/* The bundle the last display published, kept by capture_hook. */
static MimeBundle *captured;
static int captured_count;
static void capture_hook(void *ctx, DisplayKind kind, const MimeBundle *b, const char *id) {
    (void)ctx;
    (void)id;
    cr_assert_eq(kind, DISPLAY_DATA);
    captured = (MimeBundle *)b;
    captured_count++;
}

Test(image, imshow_grid_with_labels) {
    t_display_set_hook(capture_hook, NULL);
    const char *labels[] = {"zero", "one", "two"};
    Tensor *b = t_zeros(3, 1, 10, 10);
    t_imshow_grid(b, .nrow = 3, .labels = labels, .scale = 2, .pad_value = 1);
    cr_assert_eq(captured_count, 1);
    Decoded d = bundle_png(captured);
    /* grid [3, 14, 38] at scale 2, plus one band of text under the row */
    cr_assert_eq(d.width, 76);
    cr_assert_gt(d.height, 28);
    int ink = 0; /* the labels' dark pixels in the white band */
    for (int y = 28; y < d.height - 4; y++)
        for (int x = 0; x < d.width; x++) ink += px(&d, x, y, 0) < 128;
    cr_assert_gt(ink, 20);
    cr_assert_eq(px(&d, 10, 10, 0), 0); /* an image pixel */
    cr_assert_eq(px(&d, 1, 1, 0), 255); /* padding */
    t_display_set_hook(NULL, NULL);
}

Test(image, displays_of_html_markdown_and_png) {
    t_display_set_hook(capture_hook, NULL);
    display_html("<b>bold</b>");
    cr_assert_str_eq(mime_get(captured, "text/html", NULL), "<b>bold</b>");
    cr_assert_not_null(mime_get(captured, "text/plain", NULL));
    display_markdown("# Title");
    cr_assert_str_eq(mime_get(captured, "text/markdown", NULL), "# Title");
    cr_assert_str_eq(mime_get(captured, "text/plain", NULL), "# Title");
    size_t len;
    const unsigned char *png = t_image_png(t_zeros(3, 5), (ImshowOpts){.scale = 1}, &len);
    display_png(png, len);
    cr_assert_str_eq(captured->metadata, "{\"image/png\": {\"width\": 5, \"height\": 3}}");
    size_t got_len;
    cr_assert_not_null(mime_get(captured, "image/png", &got_len));
    cr_assert_eq(got_len, len);
    display_image(t_ones(2, 3), .scale = 2);
    cr_assert_str_eq(captured->metadata, "{\"image/png\": {\"width\": 6, \"height\": 4}}");
    T_ASSERT_RAISES(T_ERR_VALUE, display_png("GIF89a not a png at all...", 26), "PNG");
    T_ASSERT_RAISES(T_ERR_VALUE, display_html(NULL), "display_html");
    cr_assert_eq(captured_count, 4);
    t_display_set_hook(NULL, NULL);
}

Test(image, cuda_images_match_cpu_images) {
    if (!cuda_is_available()) cr_skip_test("no GPU");
    Tensor *x = t_rand(3, 5, 7);
    size_t n_cpu, n_gpu;
    const unsigned char *cpu = t_image_png(x, (ImshowOpts){.scale = 2}, &n_cpu);
    const unsigned char *gpu = t_image_png(t_to(x, T_CUDA), (ImshowOpts){.scale = 2}, &n_gpu);
    cr_assert_eq(n_cpu, n_gpu);
    cr_assert_arr_eq(cpu, gpu, n_cpu);
    Tensor *g = t_make_grid(t_to(t_rand(5, 1, 4, 4), T_CUDA), .nrow = 2);
    cr_assert_eq(t_device(g), T_CUDA);
    T_ASSERT_SHAPE(g, 3, 20, 14);
}

Test(image, png_encoder_round_trips) {
    unsigned char rgb[2 * 3 * 3];
    for (int i = 0; i < (int)sizeof rgb; i++) rgb[i] = (unsigned char)(i * 13);
    size_t len;
    const unsigned char *png = t_png_encode(rgb, 3, 2, 3, &len);
    Decoded d = decode_png(png, len);
    cr_assert_eq(d.width, 3);
    cr_assert_eq(d.height, 2);
    cr_assert_arr_eq(d.rgb, rgb, sizeof rgb);
    int w, h;
    t_png_size(png, len, &w, &h);
    cr_assert_eq(w, 3);
    cr_assert_eq(h, 2);
}
