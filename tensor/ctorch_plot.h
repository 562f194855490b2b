/*
 * ctorch_plot.h — rich output in the notebook: HTML, Markdown and PNG displays, tensors shown
 * as images (t_imshow, t_make_grid), plots drawn with cairo (plot_line, scatter, histograms),
 * and progress bars that update in place.
 *
 * ctorch.h includes this header; include ctorch.h, not this one. Everything here publishes
 * through the display hook (see "Rich display" in ctorch.h): in a notebook the outputs appear
 * under the cell; in a plain C program with no hook, text goes to stdout (progress bars to
 * stderr, redrawn in place).
 *
 * Options are designated initializers, as everywhere in ctorch: t_imshow(img, .scale = 4),
 * plot_line(losses, .title = "loss"). An option left out (zero) takes its documented default.
 */
#ifndef CTORCH_PLOT_H
#define CTORCH_PLOT_H

#include "ctorch.h"

/* ------------------------------------------------------------------------------------------ */
/* Displays of ready-made content                                                               */
/* ------------------------------------------------------------------------------------------ */

/* Shows an HTML fragment as a new output (text/html, with a text/plain of "<HTML>"). */
void display_html(const char *html);
/* Shows Markdown text as a new output (text/markdown, with the source as text/plain). */
void display_markdown(const char *md);
/* Shows PNG bytes as a new output (image/png, with width and height read from the PNG header
   as metadata). Raises ValueError if data does not start with a PNG header. */
void display_png(const void *data, size_t len);
/* The bundle display_png publishes: image/png, metadata {"image/png": {"width", "height"}}
   and a text/plain naming the size. */
MimeBundle *t_bundle_png(const void *data, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* Images                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Options of t_imshow. scale: each pixel becomes a scale × scale block (nearest neighbour);
   0 picks one so that small images (Fashion-MNIST's 28×28) are shown at least 112 pixels on
   their longer side, and 1 shows every image at its own size. vmin/vmax: the values shown as
   black and white; when both are 0, uint8 images are shown as they are, floating images whose
   values lie in [0, 1] as that range, and any other image scaled from its min to its max.
   title: a line of text over the image. */
typedef struct ImshowOpts {
    int scale;
    double vmin, vmax;
    const char *title;
} ImshowOpts;

/* Shows an image tensor as a PNG: [H, W] (grey), [1, H, W] (grey) or [3, H, W] (RGB), of any
   dtype and device. t_imshow(img), t_imshow(img, .scale = 8), t_imshow(t_make_grid(batch)). */
void t_imshow_opts(Tensor *x, ImshowOpts opts);
#define t_imshow(x, ...) t_imshow_opts((x), (ImshowOpts){__VA_ARGS__})
/* The same as t_imshow: display_image(img, .scale = 4). */
#define display_image(x, ...) t_imshow_opts((x), (ImshowOpts){__VA_ARGS__})
/* The bundle t_imshow publishes: image/png, its size as metadata, and a text/plain line. */
MimeBundle *t_bundle_image(Tensor *x, ImshowOpts opts);
/* The PNG bytes t_imshow would show (collected memory); *len receives their number. */
const unsigned char *t_image_png(Tensor *x, ImshowOpts opts, size_t *len);

/* padding value that means none at all (0 means the default, 2 pixels). */
#define T_GRID_NO_PADDING (-1)

/* Options of t_make_grid, as torchvision.utils.make_grid: nrow images per row (default 8),
   padding pixels around each image (default 2; T_GRID_NO_PADDING for none), pad_value for the
   padding (default 0). normalize shifts the values to [0, 1] by their min and max (or by
   vmin..vmax when vmin < vmax), over the whole batch, or per image with scale_each. labels,
   when given, holds one string per image, drawn under it by t_imshow_grid. */
typedef struct GridOpts {
    int nrow;
    int padding;
    double pad_value;
    bool normalize;
    bool scale_each;
    double vmin, vmax;
    const char *const *labels;
    int scale;
} GridOpts;

/* A batch of images [B, C, H, W] (or [C, H, W], or [H, W]) laid out in a grid: a tensor
   [C', H', W'] where C' is 3 for grey or RGB batches, as torchvision's make_grid (a batch of
   one image gives that image). t_imshow(t_make_grid(batch, .nrow = 4)). */
Tensor *t_make_grid_opts(Tensor *batch, GridOpts opts);
#define t_make_grid(batch, ...) t_make_grid_opts((batch), (GridOpts){__VA_ARGS__})
/* Shows a batch as a grid, with .labels (one string per image) written under the images:
   t_imshow_grid(images, .nrow = 8, .labels = names, .scale = 3). */
void t_imshow_grid_opts(Tensor *batch, GridOpts opts);
#define t_imshow_grid(batch, ...) t_imshow_grid_opts((batch), (GridOpts){__VA_ARGS__})

/* ------------------------------------------------------------------------------------------ */
/* Plots: drawn with cairo into a PNG (640×400 unless told), in matplotlib's default style.      */
/* ------------------------------------------------------------------------------------------ */

/* A figure: one set of axes holding any number of series, shown by plot_show. */
typedef struct Plot Plot;

/* Options of plots and of their series; every plot_ call takes them all.
   Figure: title, xlabel, ylabel, width and height in pixels (640 and 400 by default), and
   fixed axis limits (xmin < xmax, ymin < ymax; by default the data's range plus 5%).
   Series: x (the x values of a line, a tensor as long as y; 0, 1, 2, ... by default), label
   (named in a legend), color ("#rrggbb", or "C0".."C9" for matplotlib's tab10 colours; the
   next colour of the cycle by default), linewidth (1.5), marker_size (radius in pixels for
   scatter, 3.5), bins (for histograms, 10), alpha (opacity, 1; 0.6 for overlapping
   histograms). Figure options given to a series call set the figure's. */
typedef struct PlotOpts {
    const char *title, *xlabel, *ylabel;
    int width, height;
    double xmin, xmax, ymin, ymax;
    Tensor *x;
    const char *label;
    const char *color;
    double linewidth, marker_size, alpha;
    int bins;
} PlotOpts;

/* A new, empty figure: Plot *p = plot_new(.title = "loss", .xlabel = "epoch"). */
Plot *plot_new_opts(PlotOpts opts);
#define plot_new(...) plot_new_opts((PlotOpts){__VA_ARGS__})
/* Adds a line through the values of y (1-D, any dtype; copied now, so y may change after). */
void plot_add_line_opts(Plot *p, Tensor *y, PlotOpts opts);
#define plot_add_line(p, y, ...) plot_add_line_opts((p), (y), (PlotOpts){__VA_ARGS__})
/* Adds a line through n floats or doubles of a C array (losses collected in a loop). An array
   literal's commas need parentheses around it: plot_line_f(((float[]){1, 2}), 2). */
void plot_add_line_f_opts(Plot *p, const float *y, int64_t n, PlotOpts opts);
#define plot_add_line_f(p, y, n, ...) plot_add_line_f_opts((p), (y), (n), (PlotOpts){__VA_ARGS__})
void plot_add_line_d_opts(Plot *p, const double *y, int64_t n, PlotOpts opts);
#define plot_add_line_d(p, y, n, ...) plot_add_line_d_opts((p), (y), (n), (PlotOpts){__VA_ARGS__})
/* Adds points at (x[i], y[i]) (1-D tensors of one length). */
void plot_add_scatter_opts(Plot *p, Tensor *x, Tensor *y, PlotOpts opts);
#define plot_add_scatter(p, x, y, ...) plot_add_scatter_opts((p), (x), (y), (PlotOpts){__VA_ARGS__})
/* Adds a histogram of the values (any shape; .bins equal bins over their range). */
void plot_add_hist_opts(Plot *p, Tensor *values, PlotOpts opts);
#define plot_add_hist(p, values, ...) plot_add_hist_opts((p), (values), (PlotOpts){__VA_ARGS__})

/* Shows the figure as a new output of the cell (image/png and text/plain). */
void plot_show(Plot *p);
/* The bundle plot_show publishes. */
MimeBundle *plot_bundle(Plot *p);
/* The figure as PNG bytes (collected memory); *len receives their number. */
const unsigned char *plot_png(Plot *p, size_t *len);
/* Writes the figure to a PNG file; raises IOError if the file cannot be written. */
void plot_save(Plot *p, const char *path);

/* One-call plots, shown at once: plot_line(losses, .title = "loss", .xlabel = "step"). */
void plot_line_opts(Tensor *y, PlotOpts opts);
#define plot_line(y, ...) plot_line_opts((y), (PlotOpts){__VA_ARGS__})
void plot_line_f_opts(const float *y, int64_t n, PlotOpts opts);
#define plot_line_f(y, n, ...) plot_line_f_opts((y), (n), (PlotOpts){__VA_ARGS__})
void plot_line_d_opts(const double *y, int64_t n, PlotOpts opts);
#define plot_line_d(y, n, ...) plot_line_d_opts((y), (n), (PlotOpts){__VA_ARGS__})
void plot_scatter_opts(Tensor *x, Tensor *y, PlotOpts opts);
#define plot_scatter(x, y, ...) plot_scatter_opts((x), (y), (PlotOpts){__VA_ARGS__})
void plot_hist_opts(Tensor *values, PlotOpts opts);
#define plot_hist(values, ...) plot_hist_opts((values), (PlotOpts){__VA_ARGS__})

/* ------------------------------------------------------------------------------------------ */
/* Progress bars                                                                                */
/* ------------------------------------------------------------------------------------------ */

/* A progress bar over a loop, updated in place (as tqdm): count/total, percentage, elapsed
   and remaining time, rate, and a postfix the loop sets. */
typedef struct Progress Progress;

/* Options of progress_new: desc (a label before the bar), unit ("it" by default, as in
   "12.5it/s"), min_interval (seconds between two redraws; 0.1 by default, so at most ten
   updates a second, plus the final state). */
typedef struct ProgressOpts {
    const char *desc;
    const char *unit;
    double min_interval;
} ProgressOpts;

/* A bar for total steps (0 or less when the total is unknown), shown at once:
   Progress *p = progress_new(n, .desc = "epoch 1"). In a notebook it is an output updated
   through its display id; with no display hook, a line on stderr redrawn with "\r". */
Progress *progress_new_opts(int64_t total, ProgressOpts opts);
#define progress_new(total, ...) progress_new_opts((total), (ProgressOpts){__VA_ARGS__})
/* Advances the bar by n steps; redraws when min_interval has passed or the total is reached. */
void progress_update(Progress *p, int64_t n);
/* Sets the text after the counters, printf-style: progress_set_postfix(p, "loss=%.3f", l). */
void progress_set_postfix(Progress *p, const char *fmt, ...);
/* Sets the label before the bar. */
void progress_set_description(Progress *p, const char *desc);
/* Draws the final state (unless it is already shown) and ends the bar; later updates raise
   ValueError. */
void progress_close(Progress *p);
/* Closes every bar this thread left open, drawing its final state. The notebook calls it at
   each cell boundary (t_reset_thread_state), so a loop stopped by an error leaves no bar
   half-drawn. */
void progress_close_all(void);
/* The bar's text as shown now, as tqdm writes it with a bar of Unicode blocks
   ("epoch 1:  45%|#########           | 45/100 [00:02<00:03, 18.00it/s, loss=0.123]"), and
   as HTML: the label, a <progress> element and the same counters (collected memory). */
const char *progress_text(const Progress *p);
const char *progress_html(const Progress *p);
/* The bar's display id (unique in the process). */
const char *progress_display_id(const Progress *p);

#endif /* CTORCH_PLOT_H */
