"""Rich output in the notebook: images, image grids, plots, progress bars, HTML and Markdown.

Through jupyter_client, a cell's display_data and update_display_data messages must carry the
right MIME types, metadata and display ids; the PNGs are decoded here (zlib and struct only)
to check their size and pixels. Through ctypes (no kernel), the PNG of an image is compared
with NumPy's scaling of the same values, and the progress bar's HTML is parsed.
"""
import base64
import ctypes
import struct
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest

import ctorch_ffi
from test_kernel_extra import run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Channels per pixel of each PNG colour type (grey, RGB, grey + alpha, RGBA).
PNG_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}
# matplotlib's first two tab10 colours, which ctorch's plots cycle through too.
TAB_BLUE, TAB_ORANGE = (0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E)


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(kind, line, prev, bpp):
    """One scanline with its PNG filter undone (prev: the previous row, unfiltered)."""
    if kind == 0:
        return line
    if kind == 1:  # Sub: a running sum along each channel
        return (line.reshape(-1, bpp).astype(np.int64).cumsum(axis=0) & 0xFF).astype(
            np.uint8).reshape(-1)
    if kind == 2:  # Up
        return ((line.astype(np.int64) + prev) & 0xFF).astype(np.uint8)
    row, up = [0] * len(line), prev.tolist()
    for i, v in enumerate(line.tolist()):  # Average and Paeth depend on the byte before
        a = row[i - bpp] if i >= bpp else 0
        c = up[i - bpp] if i >= bpp else 0
        row[i] = (v + ((a + up[i]) // 2 if kind == 3 else _paeth(a, up[i], c))) & 0xFF
    return np.array(row, np.uint8)


def decode_png(data):
    """Decodes an 8-bit, non-interlaced PNG: (width, height, pixels as an array [H, W, C])."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(tag + body) == crc, f"bad CRC in {tag!r}"
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat += body
        elif tag == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0, header
    bpp = PNG_CHANNELS[colour]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8)
    stride = width * bpp
    assert raw.size == height * (stride + 1), "truncated image data"
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(height):
        start = y * (stride + 1)
        prev = out[y] = _unfilter(int(raw[start]), raw[start + 1:start + 1 + stride], prev, bpp)
    return width, height, out.reshape(height, width, bpp)


def count_colour(pixels, rgb, near=6):
    """How many pixels are within near levels of the colour rgb."""
    diff = np.abs(pixels[:, :, :3].astype(int) - np.array(rgb)).max(axis=2)
    return int((diff <= near).sum())


def displays(msgs, msg_type):
    return [m["content"] for m in msgs if m["msg_type"] == msg_type]


def ok(reply):
    assert reply["content"]["status"] == "ok", reply["content"]


def shown_png(content):
    """The decoded PNG of a display, after checking that its metadata states its size."""
    width, height, pixels = decode_png(base64.b64decode(content["data"]["image/png"]))
    assert content["metadata"] == {"image/png": {"width": width, "height": height}}
    assert content["data"]["text/plain"]
    return width, height, pixels


# ---- through the kernel ----

def test_imshow_shows_a_scaled_png(ctorch_kernel):
    km, kc = ctorch_kernel
    reply, msgs = run(kc, "Tensor *img = t_zeros(2, 2);\nt_set(img, 1.0, 0, 1);\n"
                          "t_imshow(img, .scale = 3);\nt_imshow(t_rand(1, 28, 28));")
    ok(reply)
    small, mnist = displays(msgs, "display_data")
    width, height, pixels = shown_png(small)
    assert (width, height) == (6, 6)
    # the value 1 at row 0, column 1: a white 3x3 block at the top right, the rest black
    want = np.zeros((6, 6), np.uint8)
    want[:3, 3:] = 255
    assert (pixels[:, :, 0] == want).all()
    assert small["data"]["text/plain"] == "<image 6x6 of a tensor [2, 2] float32>"
    assert shown_png(mnist)[:2] == (112, 112)


def test_grid_of_a_batch(ctorch_kernel):
    km, kc = ctorch_kernel
    reply, msgs = run(kc, "Tensor *batch = t_rand(10, 1, 28, 28);\n"
                          "Tensor *grid = t_make_grid(batch, .nrow = 5);\n"
                          "t_imshow(grid, .scale = 2);\n"
                          "const char *names[] = {\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\","
                          " \"h\", \"i\", \"j\"};\n"
                          "t_imshow_grid(batch, .nrow = 5, .labels = names);")
    ok(reply)
    grid, labelled = displays(msgs, "display_data")
    assert shown_png(grid)[:2] == (304, 124)  # [3, 62, 152] at scale 2
    width, height, _ = shown_png(labelled)
    assert width == 152 and height > 124 // 2


def test_plot_with_two_series(ctorch_kernel):
    km, kc = ctorch_kernel
    code = """
    float train[50], test[50];
    for (int i = 0; i < 50; i++) { train[i] = 1.0f / (i + 1); test[i] = 1.2f / (i + 1) + 0.1f; }
    Plot *p = plot_new(.title = "loss", .xlabel = "epoch", .ylabel = "loss");
    plot_add_line_f(p, train, 50, .label = "train");
    plot_add_line_f(p, test, 50, .label = "test");
    plot_show(p);
    plot_hist(t_randn(1000), .bins = 30, .title = "weights");
    """
    reply, msgs = run(kc, code)
    ok(reply)
    lines, hist = displays(msgs, "display_data")
    width, height, pixels = shown_png(lines)
    assert (width, height) == (640, 400)
    assert count_colour(pixels, TAB_BLUE) > 200
    assert count_colour(pixels, TAB_ORANGE) > 200
    assert lines["data"]["text/plain"] == '<Plot 640x400 "loss": line "train", line "test">'
    assert shown_png(hist)[:2] == (640, 400)


def test_progress_bar_updates_one_display(ctorch_kernel):
    km, kc = ctorch_kernel
    code = """
    Progress *bar = progress_new(100000, .desc = "epoch 1");
    for (int i = 0; i < 100000; i++) {
        progress_update(bar, 1);
        if (i % 100 == 0) progress_set_postfix(bar, "loss=%.3f", 1.0 / (i + 1));
    }
    progress_close(bar);
    """
    reply, msgs = run(kc, code)
    ok(reply)
    [first] = displays(msgs, "display_data")
    updates = displays(msgs, "update_display_data")
    display_id = first["transient"]["display_id"]
    assert display_id
    assert all(u["transient"] == {"display_id": display_id} for u in updates)
    # a tight loop: the throttle lets through only a few redraws, plus the final state
    assert 1 <= len(updates) <= 10, len(updates)
    for d in [first] + updates:
        assert set(d["data"]) == {"text/plain", "text/html"}
        ET.fromstring(d["data"]["text/html"])  # well-formed
    final = updates[-1]["data"]
    assert final["text/plain"].startswith("epoch 1: 100%|")
    assert "| 100000/100000 [" in final["text/plain"]
    assert final["text/plain"].endswith(", loss=0.000]")
    bar = ET.fromstring(final["text/html"]).find(".//progress")
    assert bar.get("value") == bar.get("max") == "100000"


def test_html_and_markdown(ctorch_kernel):
    km, kc = ctorch_kernel
    reply, msgs = run(kc, 'display_html("<b>bold</b>");\ndisplay_markdown("# Title\\n*x*");')
    ok(reply)
    html, md = displays(msgs, "display_data")
    assert html["data"]["text/html"] == "<b>bold</b>"
    assert md["data"]["text/markdown"] == "# Title\n*x*"
    assert md["data"]["text/plain"] == "# Title\n*x*"


def test_tensor_result_has_text_and_html(ctorch_kernel):
    km, kc = ctorch_kernel
    reply, msgs = run(kc, "t_ones(2, 2)")
    ok(reply)
    [result] = displays(msgs, "execute_result")
    assert result["data"]["text/plain"] == "tensor([[1., 1.],\n        [1., 1.]])"
    root = ET.fromstring(result["data"]["text/html"])
    assert [td.text for td in root.iter("td")] == ["1.", "1.", "1.", "1."]


def test_bad_image_is_an_error_not_a_crash(ctorch_kernel):
    km, kc = ctorch_kernel
    reply, _ = run(kc, "t_imshow(t_zeros(4, 1, 8, 8));")
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "ShapeError"
    assert "t_make_grid" in reply["content"]["evalue"]
    reply, msgs = run(kc, "t_imshow(t_zeros(8, 8));")
    ok(reply)  # the kernel lives on


# ---- through ctypes, without a kernel ----

class ImshowOpts(ctypes.Structure):
    """ctorch_plot.h's ImshowOpts."""
    _fields_ = [("scale", ctypes.c_int), ("vmin", ctypes.c_double), ("vmax", ctypes.c_double),
                ("title", ctypes.c_char_p)]


class ProgressOpts(ctypes.Structure):
    """ctorch_plot.h's ProgressOpts."""
    _fields_ = [("desc", ctypes.c_char_p), ("unit", ctypes.c_char_p),
                ("min_interval", ctypes.c_double)]


@pytest.fixture(scope="module")
def lib():
    ffi = ctorch_ffi.load()
    c = ffi.cdll
    for name, restype, argtypes in [
        ("t_image_png", ctypes.c_void_p, [ctypes.c_void_p, ImshowOpts,
                                          ctypes.POINTER(ctypes.c_size_t)]),
        ("progress_new_opts", ctypes.c_void_p, [ctypes.c_int64, ProgressOpts]),
        ("progress_update", None, [ctypes.c_void_p, ctypes.c_int64]),
        ("progress_html", ctypes.c_char_p, [ctypes.c_void_p]),
        ("progress_text", ctypes.c_char_p, [ctypes.c_void_p]),
    ]:
        fn = getattr(c, name)
        fn.restype, fn.argtypes = restype, argtypes
    return ffi


def image_png(lib, array, **opts):
    """The PNG bytes t_imshow shows for a NumPy array."""
    t = lib.tensor(array)
    n = ctypes.c_size_t()
    ptr = lib.cdll.t_image_png(t, ImshowOpts(**opts), ctypes.byref(n))
    return ctypes.string_at(ptr, n.value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
def test_image_pixels_match_numpy_scaling(lib, dtype):
    rng = np.random.default_rng(5)
    values = (rng.standard_normal((3, 7, 9)) * 40).astype(dtype)
    width, height, pixels = decode_png(image_png(lib, values, scale=1))
    assert (width, height) == (9, 7)
    v = values.astype(np.float64)
    want = np.round((v - v.min()) / (v.max() - v.min()) * 255).astype(np.uint8)
    got = pixels.transpose(2, 0, 1)
    assert np.abs(got.astype(int) - want).max() <= 1  # half-way rounding may differ


def test_unit_range_and_uint8_are_shown_as_they_are(lib):
    unit = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    _, _, pixels = decode_png(image_png(lib, unit, scale=1))
    assert np.abs(pixels[:, :, 0].astype(int) - np.round(unit * 255)).max() <= 1
    u8 = np.arange(0, 240, 20, dtype=np.uint8).reshape(1, 3, 4)
    _, _, pixels = decode_png(image_png(lib, u8, scale=1))
    assert (pixels[:, :, 0] == u8[0]).all()


def test_progress_html_is_well_formed_and_escaped(lib):
    c = lib.cdll
    bar = c.progress_new_opts(10, ProgressOpts(desc=b"a <b> & c", min_interval=100.0))
    holder = lib.wrap(bar)  # keeps the bar from the collector while Python holds it
    c.progress_update(holder, 4)
    root = ET.fromstring(c.progress_html(holder).decode())
    assert "a <b> & c:" in "".join(root.itertext())
    progress = root.find(".//progress")
    assert (progress.get("value"), progress.get("max")) == ("4", "10")
    assert c.progress_text(holder).decode().startswith("a <b> & c:  40%|")
