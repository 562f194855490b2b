/*
 * image.c — tensors shown as pictures: t_imshow (a PNG of a grey or RGB image, scaled up for
 * small images), t_make_grid (a batch laid out as torchvision's make_grid does), and
 * t_imshow_grid (the grid with a label under each image, written with cairo).
 */
#include <math.h>
#include <string.h>

#include "plot.h"

/* t_imshow's automatic scale makes small images at least this many pixels on their longer
   side: Fashion-MNIST's 28×28 digits become 112×112, big enough to see. */
enum { IMSHOW_MIN_SIDE = 112 };
/* Largest side of a shown image, in pixels, after scaling: a bound far above any screen that
   keeps a wrong .scale from allocating gigabytes. */
enum { IMSHOW_MAX_SIDE = 16384 };
/* Largest value of an 8-bit channel. */
enum { U8_MAX = 255 };
/* torchvision's make_grid defaults: 8 images per row, 2 pixels of padding. */
enum { GRID_DEFAULT_NROW = 8, GRID_DEFAULT_PADDING = 2 };
/* torchvision's guard against dividing by a zero range when normalizing. */
static const double GRID_MIN_RANGE = 1e-5;
/* Label text size and the band under each grid row that holds it, in pixels. */
static const double LABEL_FONT_PX = 12.0;
enum { LABEL_BAND_PX = 18, TITLE_BAND_PX = 24 };
static const double TITLE_FONT_PX = 14.0;

/* An image ready to encode: 8-bit pixels, channels 1 (grey) or 3 (RGB), interleaved. */
typedef struct Image {
    unsigned char *px;
    int width, height, channels;
} Image;

/* Raises unless x is [H, W], [1, H, W] or [3, H, W] with pixels; gives channels and size. */
static void image_geometry(const char *op, const Tensor *x, int *c, int *h, int *w) {
    if (!x) t_raise(T_ERR_VALUE, "%s: expected an image tensor, got NULL", op);
    t_check_alive(op, x);
    Shape s = t_shape(x);
    bool grey = s.ndim == 2, chw = s.ndim == 3 && (s.d[0] == 1 || s.d[0] == 3);
    if (!grey && !chw)
        t_raise(T_ERR_SHAPE, "%s: expected an image [H, W], [1, H, W] or [3, H, W], got %s%s",
                op, t_shape_str(s), s.ndim == 4 ? " (show a batch with t_make_grid)" :
                s.ndim == 3 && s.d[2] == 3 ? " (channels last: t_permute(x, 2, 0, 1))" : "");
    *c = grey ? 1 : (int)s.d[0];
    int64_t hh = s.d[s.ndim - 2], ww = s.d[s.ndim - 1];
    if (hh <= 0 || ww <= 0 || hh > IMSHOW_MAX_SIDE || ww > IMSHOW_MAX_SIDE)
        t_raise(T_ERR_VALUE, "%s: expected an image of 1 to %d pixels a side, got %s", op,
                IMSHOW_MAX_SIDE, t_shape_str(s));
    *h = (int)hh;
    *w = (int)ww;
}

/* The values shown as black and white: the options' vmin..vmax, else 0..255 for uint8, 0..1
   for floating values within it, else the values' own min..max. */
static void image_range(const char *op, const Tensor *x, const double *v, int64_t n,
                        ImshowOpts o, double *lo, double *hi) {
    if (o.vmin != 0 || o.vmax != 0) {
        if (!(o.vmin < o.vmax))
            t_raise(T_ERR_VALUE, "%s: expected vmin < vmax, got vmin=%g, vmax=%g", op, o.vmin,
                    o.vmax);
        *lo = o.vmin;
        *hi = o.vmax;
        return;
    }
    if (t_dtype(x) == T_U8) {
        *lo = 0;
        *hi = U8_MAX;
        return;
    }
    double mn = INFINITY, mx = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        mn = v[i] < mn ? v[i] : mn;
        mx = v[i] > mx ? v[i] : mx;
    }
    bool unit = mn >= 0 && mx <= 1;
    *lo = unit || mn > mx ? 0 : mn;
    *hi = unit || mn > mx ? 1 : mx;
}

/* One value as an 8-bit level between lo (black) and hi (white); NaN is black. */
static unsigned char to_level(double v, double lo, double hi) {
    double t = hi > lo ? (v - lo) / (hi - lo) : 0;
    if (!(t > 0)) t = 0; /* also NaN */
    if (t > 1) t = 1;
    return (unsigned char)lround(t * U8_MAX);
}

/* x's pixels at scale × scale per value, interleaved for PNG. */
static Image image_from_tensor(const char *op, Tensor *x, ImshowOpts o) {
    int c, h, w;
    image_geometry(op, x, &c, &h, &w);
    if (o.scale < 0) t_raise(T_ERR_VALUE, "%s: expected a scale of 0 (automatic) or more, "
                             "got %d", op, o.scale);
    int longer = h > w ? h : w;
    int scale = o.scale ? o.scale : (IMSHOW_MIN_SIDE + longer - 1) / longer;
    if ((int64_t)longer * scale > IMSHOW_MAX_SIDE)
        t_raise(T_ERR_VALUE, "%s: a %dx%d image at scale %d is over %d pixels a side", op, w, h,
                scale, IMSHOW_MAX_SIDE);
    int64_t n;
    double *v = t_plot_values(op, x, &n);
    double lo, hi;
    image_range(op, x, v, n, o, &lo, &hi);
    Image im = {NULL, w * scale, h * scale, c};
    im.px = t_gc_alloc_atomic((size_t)im.width * (size_t)im.height * (size_t)c);
    for (int y = 0; y < im.height; y++)
        for (int xx = 0; xx < im.width; xx++)
            for (int ch = 0; ch < c; ch++) {
                double value = v[((int64_t)ch * h + y / scale) * w + xx / scale];
                im.px[((size_t)y * (size_t)im.width + (size_t)xx) * (size_t)c + (size_t)ch] =
                    to_level(value, lo, hi);
            }
    return im;
}

/* The image as PNG, with the title (if any) written over it. */
static const unsigned char *image_png(Image im, const char *title, size_t *len) {
    if (!title) return t_png_encode(im.px, im.width, im.height, im.channels, len);
    DrawText t = {title, im.width / 2.0, TITLE_BAND_PX / 2.0, TITLE_FONT_PX, 0};
    t.y -= TITLE_BAND_PX; /* the title's band is above the image */
    return t_draw_image_with_text(im.px, im.width, im.height, im.channels, TITLE_BAND_PX, 0, 0,
                                  U8_MAX, &t, 1, len);
}

/* The PNG t_imshow shows for x. */
const unsigned char *t_image_png(Tensor *x, ImshowOpts opts, size_t *len) {
    Image im = image_from_tensor("t_imshow", x, opts);
    return image_png(im, opts.title, len);
}

/* A one-line description of what is shown, for front ends without images. */
static const char *image_text(const Tensor *x, int width, int height) {
    return t_gc_sprintf("<image %dx%d of a tensor %s %s>", width, height,
                        t_shape_str(t_shape(x)), t_dtype_name(t_dtype(x)));
}

/* The image as a bundle: PNG, its size as metadata, and a line of text. */
MimeBundle *t_bundle_image(Tensor *x, ImshowOpts opts) {
    size_t len;
    const unsigned char *png = t_image_png(x, opts, &len);
    int width, height;
    t_png_size(png, len, &width, &height);
    return t_bundle_png_text(png, len, image_text(x, width, height));
}

/* Shows x as an image under the cell. */
void t_imshow_opts(Tensor *x, ImshowOpts opts) {
    t_display_publish(DISPLAY_DATA, t_bundle_image(x, opts), NULL);
}

/* ---- make_grid ---- */

/* The batch as [B, C, H, W] with C = 3 for grey batches (shared storage where possible). */
static Tensor *grid_batch(Tensor *batch) {
    if (!batch) t_raise(T_ERR_VALUE, "t_make_grid: expected a batch of images, got NULL");
    t_check_alive("t_make_grid", batch);
    Tensor *b = t_detach(batch);
    if (t_ndim(b) == 2) b = t_unsqueeze(b, 0);
    if (t_ndim(b) == 3) b = t_unsqueeze(b, 0);
    if (t_ndim(b) != 4 || t_size(b, 0) == 0)
        t_raise(T_ERR_SHAPE, "t_make_grid: expected images [B, C, H, W], [C, H, W] or [H, W], "
                "got %s", t_shape_str(t_shape(batch)));
    if (t_size(b, 1) == 1) b = t_expand(b, -1, 3, -1, -1);
    return t_to(b, T_CPU);
}

/* Shifts values to [0, 1] by lo..hi (clamping), as make_grid's norm_ip. */
static Tensor *norm_range(Tensor *x, double lo, double hi) {
    double span = hi - lo > GRID_MIN_RANGE ? hi - lo : GRID_MIN_RANGE;
    return t_div_s(t_sub_s(t_clamp(x, lo, hi), lo), span);
}

/* make_grid's normalize: by vmin..vmax, or the batch's (or each image's) min and max. */
static Tensor *grid_normalize(Tensor *b, GridOpts o) {
    if (!t_dtype_is_floating(t_dtype(b))) b = t_to_dtype(b, T_F32);
    bool given = o.vmin != 0 || o.vmax != 0;
    if (given && !(o.vmin < o.vmax))
        t_raise(T_ERR_VALUE, "t_make_grid: expected vmin < vmax, got vmin=%g, vmax=%g", o.vmin,
                o.vmax);
    if (!o.scale_each) {
        double lo = given ? o.vmin : t_item(t_min(b)), hi = given ? o.vmax : t_item(t_max(b));
        return norm_range(b, lo, hi);
    }
    Tensor *out = t_empty_shape(t_shape(b), t_dtype(b));
    for (int64_t i = 0; i < t_size(b, 0); i++) {
        Tensor *img = t_select(b, 0, i);
        double lo = given ? o.vmin : t_item(t_min(img)), hi = given ? o.vmax : t_item(t_max(img));
        t_copy_(t_select(out, 0, i), norm_range(img, lo, hi));
    }
    return out;
}

/* The padding in pixels an option asks for. */
static int grid_padding(int padding) {
    if (padding == T_GRID_NO_PADDING) return 0;
    if (padding < 0)
        t_raise(T_ERR_VALUE, "t_make_grid: expected padding >= 0 (or T_GRID_NO_PADDING), got %d",
                padding);
    return padding ? padding : GRID_DEFAULT_PADDING;
}

/* The grid of a [B, C, H, W] batch already normalized; one image gives itself. */
static Tensor *grid_layout(Tensor *b, int nrow, int pad, double pad_value) {
    int64_t n = t_size(b, 0), c = t_size(b, 1), h = t_size(b, 2), w = t_size(b, 3);
    if (n == 1) return t_contiguous(t_select(b, 0, 0));
    int64_t xmaps = n < nrow ? n : nrow, ymaps = (n + xmaps - 1) / xmaps;
    int64_t cell_h = h + pad, cell_w = w + pad;
    Tensor *grid = t_full_shape(T_SHAPE(c, ymaps * cell_h + pad, xmaps * cell_w + pad),
                                pad_value, t_dtype(b));
    for (int64_t k = 0; k < n; k++) {
        int64_t y = k / xmaps, x = k % xmaps;
        Tensor *cell = t_narrow(t_narrow(grid, 1, y * cell_h + pad, h), 2, x * cell_w + pad, w);
        t_copy_(cell, t_select(b, 0, k));
    }
    return grid;
}

/* Raises unless nrow is a count of images per row (0 takes the default). */
static int grid_nrow(int nrow) {
    if (nrow < 0) t_raise(T_ERR_VALUE, "t_make_grid: expected nrow > 0, got %d", nrow);
    return nrow ? nrow : GRID_DEFAULT_NROW;
}

/* A batch laid out as one image, as torchvision's make_grid (on the batch's device). */
Tensor *t_make_grid_opts(Tensor *batch, GridOpts opts) {
    if (opts.labels || opts.scale)
        t_raise(T_ERR_VALUE, "t_make_grid: .labels and .scale are for t_imshow_grid, which "
                "draws the grid; t_make_grid only lays it out");
    Device device = batch ? t_device(batch) : T_CPU;
    Tensor *b = grid_batch(batch);
    if (opts.normalize) b = grid_normalize(b, opts);
    Tensor *grid = grid_layout(b, grid_nrow(opts.nrow), grid_padding(opts.padding),
                               opts.pad_value);
    return t_to(grid, device);
}

/* ---- a grid with labels ---- */

/* The labels of a grid's images, placed under each image (coordinates in scaled pixels). */
static DrawText *grid_label_texts(GridOpts o, int64_t n, int64_t xmaps, int64_t h, int64_t w,
                                  int pad, int scale) {
    DrawText *texts = t_gc_alloc((size_t)n * sizeof *texts);
    for (int64_t k = 0; k < n; k++) {
        if (!o.labels[k])
            t_raise(T_ERR_VALUE, "t_imshow_grid: label %lld is NULL; expected one string per "
                    "image (%lld images)", (long long)k, (long long)n);
        int64_t y = k / xmaps, x = k % xmaps;
        double cx = (double)(x * (w + pad) + pad) * scale + w * scale / 2.0;
        double top = (double)((y + 1) * (h + pad)) * scale + (double)y * LABEL_BAND_PX;
        texts[k] = (DrawText){o.labels[k], cx, top + LABEL_BAND_PX / 2.0, LABEL_FONT_PX, 0};
    }
    return texts;
}

/* Shows a batch as a grid, with a label under each image when .labels is given. */
void t_imshow_grid_opts(Tensor *batch, GridOpts opts) {
    GridOpts layout = opts;
    layout.labels = NULL;
    layout.scale = 0;
    Tensor *grid = t_make_grid_opts(batch, layout);
    Image im = image_from_tensor("t_imshow_grid", grid,
                                 (ImshowOpts){.scale = opts.scale ? opts.scale : 1});
    size_t len;
    const unsigned char *png;
    if (!opts.labels) {
        png = t_png_encode(im.px, im.width, im.height, im.channels, &len);
    } else {
        Tensor *b = grid_batch(batch);
        int64_t n = t_size(b, 0), h = t_size(b, 2), w = t_size(b, 3);
        int nrow = grid_nrow(opts.nrow), pad = grid_padding(opts.padding);
        int64_t xmaps = n < nrow ? n : nrow;
        int scale = opts.scale ? opts.scale : 1;
        DrawText *texts = grid_label_texts(opts, n, xmaps, h, w, n == 1 ? 0 : pad, scale);
        int row_px = (int)(h + (n == 1 ? 0 : pad)) * scale;
        png = t_draw_image_with_text(im.px, im.width, im.height, im.channels, 0, row_px,
                                     LABEL_BAND_PX, im.px[0], texts, (int)n, &len);
    }
    int width, height;
    t_png_size(png, len, &width, &height);
    t_display_publish(DISPLAY_DATA, t_bundle_png_text(png, len, image_text(grid, width, height)),
                      NULL);
}
