"""Looking at the rich output: a page built from ctorch's own bundles (a plot with a legend,
a histogram, a scatter plot, a labelled image grid, a tensor table and a finished progress
bar), rendered by headless Chromium into build/screenshots/rich.png for a person to check.

The bundles come from libctorch through ctypes, with a display hook written in Python that
keeps what is published, exactly as the kernel would receive it.
"""
import base64
import ctypes
import html
import shutil
import subprocess

import numpy as np
import pytest

import ctorch_ffi
from test_rich_output import TAB_BLUE, TAB_ORANGE, count_colour, decode_png

SHOTS = ctorch_ffi.ROOT / "build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WINDOW = (1000, 1400)
T_MIME_MAX = 8  # ctorch.h
DISPLAY_KINDS = ["data", "update", "result", "clear"]  # DisplayKind, in order


class MimeBundle(ctypes.Structure):
    """ctorch.h's MimeBundle."""
    _fields_ = [("n", ctypes.c_int), ("mime", ctypes.c_char_p * T_MIME_MAX),
                ("data", ctypes.c_void_p * T_MIME_MAX), ("len", ctypes.c_size_t * T_MIME_MAX),
                ("metadata", ctypes.c_char_p)]


class PlotOpts(ctypes.Structure):
    """ctorch_plot.h's PlotOpts."""
    _fields_ = [("title", ctypes.c_char_p), ("xlabel", ctypes.c_char_p),
                ("ylabel", ctypes.c_char_p), ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("xmin", ctypes.c_double), ("xmax", ctypes.c_double),
                ("ymin", ctypes.c_double), ("ymax", ctypes.c_double), ("x", ctypes.c_void_p),
                ("label", ctypes.c_char_p), ("color", ctypes.c_char_p),
                ("linewidth", ctypes.c_double), ("marker_size", ctypes.c_double),
                ("alpha", ctypes.c_double), ("bins", ctypes.c_int)]


class GridOpts(ctypes.Structure):
    """ctorch_plot.h's GridOpts."""
    _fields_ = [("nrow", ctypes.c_int), ("padding", ctypes.c_int),
                ("pad_value", ctypes.c_double), ("normalize", ctypes.c_bool),
                ("scale_each", ctypes.c_bool), ("vmin", ctypes.c_double),
                ("vmax", ctypes.c_double), ("labels", ctypes.POINTER(ctypes.c_char_p)),
                ("scale", ctypes.c_int)]


class ProgressOpts(ctypes.Structure):
    """ctorch_plot.h's ProgressOpts."""
    _fields_ = [("desc", ctypes.c_char_p), ("unit", ctypes.c_char_p),
                ("min_interval", ctypes.c_double)]


HOOK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(MimeBundle),
                        ctypes.c_char_p)


@pytest.fixture(scope="module")
def lib():
    ffi = ctorch_ffi.load()
    P, I64 = ctypes.c_void_p, ctypes.c_int64
    for name, restype, argtypes in [
        ("t_display_set_hook", None, [HOOK, P]),
        ("plot_new_opts", P, [PlotOpts]),
        ("plot_add_line_opts", None, [P, P, PlotOpts]),
        ("plot_add_scatter_opts", None, [P, P, P, PlotOpts]),
        ("plot_add_hist_opts", None, [P, P, PlotOpts]),
        ("plot_show", None, [P]),
        ("t_imshow_grid_opts", None, [P, GridOpts]),
        ("t_bundle_tensor", ctypes.POINTER(MimeBundle), [P]),
        ("progress_new_opts", P, [I64, ProgressOpts]),
        ("progress_update", None, [P, I64]),
        ("progress_set_postfix", None, [P, ctypes.c_char_p, ctypes.c_double]),
        ("progress_close", None, [P]),
    ]:
        fn = getattr(ffi.cdll, name)
        fn.restype, fn.argtypes = restype, argtypes
    return ffi


def bundle_dict(b):
    """A MimeBundle's representations as {mime: bytes}, copied out of collected memory."""
    return {b.mime[i].decode(): ctypes.string_at(b.data[i], b.len[i]) for i in range(b.n)}


class Published:
    """Installs a display hook that keeps every published bundle as (kind, id, {mime: bytes})."""

    def __init__(self, lib):
        self.lib, self.items = lib, []
        self._hook = HOOK(self._keep)  # referenced for as long as it is installed

    def _keep(self, ctx, kind, bundle, display_id):
        self.items.append((DISPLAY_KINDS[kind], display_id and display_id.decode(),
                           bundle_dict(bundle.contents)))

    def __enter__(self):
        self.lib.cdll.t_display_set_hook(self._hook, None)
        return self

    def __exit__(self, *exc):
        self.lib.cdll.t_display_set_hook(HOOK(), None)


def sample_images(n, size=28):
    """n small grey pictures, rings and stripes, [n, 1, size, size] in [0, 1]."""
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1) - 0.5
    r = np.hypot(xx, yy)
    imgs = [(np.cos(r * (8 + 3 * k)) + 1) / 2 if k % 2 == 0 else
            (np.sin((xx * np.cos(k) + yy * np.sin(k)) * 20) + 1) / 2 for k in range(n)]
    return np.stack(imgs)[:, None].astype(np.float32)


def make_outputs(lib):
    """The bundles the page shows, published by ctorch exactly as in a notebook cell."""
    c = lib.cdll
    keep = []  # tensors and plots stay rooted while Python holds them

    def held(obj):
        keep.append(obj if isinstance(obj, ctorch_ffi.CTensor) else lib.wrap(obj))
        return keep[-1]

    steps = np.arange(200, dtype=np.float32)
    rng = np.random.default_rng(0)
    train = 2.3 * np.exp(-steps / 40) + 0.05 * rng.standard_normal(200) + 0.1
    test = 2.3 * np.exp(-steps / 55) + 0.25
    with Published(lib) as pub:
        p = held(c.plot_new_opts(PlotOpts(title=b"loss", xlabel=b"step",
                                          ylabel=b"cross-entropy")))
        c.plot_add_line_opts(p, held(lib.tensor(train.astype(np.float32))),
                             PlotOpts(label=b"train"))
        c.plot_add_line_opts(p, held(lib.tensor(test.astype(np.float32))),
                             PlotOpts(label=b"test"))
        c.plot_show(p)
        h = held(c.plot_new_opts(PlotOpts(title=b"weights", xlabel=b"value", ylabel=b"count",
                                          width=480, height=300)))
        c.plot_add_hist_opts(h, held(lib.tensor(rng.standard_normal(5000).astype(np.float32))),
                             PlotOpts(bins=40, label=b"layer 1"))
        c.plot_add_hist_opts(h, held(lib.tensor((rng.standard_normal(5000) * 0.5 + 1.5)
                                                .astype(np.float32))),
                             PlotOpts(bins=40, label=b"layer 2"))
        c.plot_show(h)
        s = held(c.plot_new_opts(PlotOpts(title=b"embedding", xlabel=b"x", ylabel=b"y",
                                          width=480, height=300)))
        for k in range(3):
            pts = rng.standard_normal((2, 80)).astype(np.float32) * 0.6 + [[k * 2.0], [k % 2]]
            c.plot_add_scatter_opts(s, held(lib.tensor(pts[0].copy())),
                                    held(lib.tensor(pts[1].copy())),
                                    PlotOpts(label=f"class {k}".encode()))
        c.plot_show(s)
        names = [b"rings", b"stripes"] * 8
        labels = (ctypes.c_char_p * len(names))(*names)
        c.t_imshow_grid_opts(held(lib.tensor(sample_images(16))),
                             GridOpts(nrow=8, labels=labels, scale=2, pad_value=1.0))
        bar = held(c.progress_new_opts(500, ProgressOpts(desc=b"epoch 1")))
        for i in range(500):
            c.progress_update(bar, 1)
            c.progress_set_postfix(bar, b"loss=%.3f", 1.0 / (i + 1))
        c.progress_close(bar)
    tensor = held(lib.tensor(np.round(rng.standard_normal((4, 6)), 4).astype(np.float32)))
    table = bundle_dict(c.t_bundle_tensor(tensor).contents)
    return pub.items, table


def png_img(bundle):
    data = base64.b64encode(bundle["image/png"]).decode()
    return f'<img alt="{html.escape(bundle["text/plain"].decode())}" src="data:image/png;base64,{data}">'


def build_page(items, table):
    """An HTML page laying the outputs out as a notebook would."""
    shown = [b for kind, _, b in items if kind == "data" and "image/png" in b]
    lines, hist, scatter, grid = shown
    progress = [b for kind, _, b in items if "text/html" in b and b"ctorch-progress" in b["text/html"]]
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>ctorch rich output</title>
<style>
body {{ font-family: "DejaVu Sans", sans-serif; margin: 16px; background: #fff; }}
h3 {{ font-size: 14px; color: #555; margin: 14px 0 6px; font-weight: normal; }}
.row {{ display: flex; gap: 16px; }}
img {{ display: block; image-rendering: pixelated; }}
</style></head><body>
<h3>plot_add_line &times; 2, plot_show</h3>{png_img(lines)}
<div class="row"><div><h3>plot_add_hist &times; 2</h3>{png_img(hist)}</div>
<div><h3>plot_add_scatter &times; 3</h3>{png_img(scatter)}</div></div>
<h3>t_imshow_grid(batch, .nrow = 8, .labels = names, .scale = 2)</h3>{png_img(grid)}
<h3>a tensor as the last expression of a cell</h3>{table["text/html"].decode()}
<h3>progress_new / progress_update / progress_close</h3>{progress[-1]["text/html"].decode()}
</body></html>
"""


def test_screenshot_of_rich_output(lib):
    items, table = make_outputs(lib)
    kinds = [kind for kind, _, _ in items]
    assert kinds.count("data") == 5  # three plots, the grid, the bar's first display
    bar_ids = {i for kind, i, _ in items if i}
    assert len(bar_ids) == 1  # the bar and all its updates share one display id
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = SHOTS / "rich.html"
    page.write_text(build_page(items, table))
    shot = SHOTS / "rich.png"
    shot.unlink(missing_ok=True)
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                    page.as_uri()], check=True, timeout=120, capture_output=True)
    width, height, pixels = decode_png(shot.read_bytes())
    assert (width, height) == WINDOW
    # the plots' colours made it to the screen, and the page is not blank
    assert count_colour(pixels, TAB_BLUE) > 2000
    assert count_colour(pixels, TAB_ORANGE) > 2000
    assert (pixels[:, :, :3] < 64).all(axis=2).sum() > 5000  # text, frames, images
