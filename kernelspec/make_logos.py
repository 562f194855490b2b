#!/usr/bin/env python3
"""Draws ctorch's kernel logos (logo-32x32.png, logo-64x64.png) with only the standard library.

The logo: a "C" ring in ember orange on a dark rounded square, with a small 2x2 grid of
squares inside the ring standing for a tensor. Run from anywhere; writes next to this file.
"""
import math
import os
import struct
import zlib

BACKGROUND = (38, 42, 51)
RING = (238, 76, 44)
GRID = (250, 190, 70)
SIZES = (32, 64)
SUPERSAMPLE = 4  # samples per pixel side, for anti-aliased edges


def coverage(u, v):
    """The colour (r, g, b, a) of the logo at (u, v) in [0, 1]^2, without anti-aliasing."""
    # Rounded square background.
    corner = 0.2
    dx = max(abs(u - 0.5) - (0.5 - corner), 0.0)
    dy = max(abs(v - 0.5) - (0.5 - corner), 0.0)
    if dx * dx + dy * dy > corner * corner:
        return (0, 0, 0, 0)
    # The "C": a ring with a gap facing right.
    r = math.hypot(u - 0.5, v - 0.5)
    angle = math.degrees(math.atan2(v - 0.5, u - 0.5))
    if 0.27 <= r <= 0.40 and abs(angle) > 45:
        return RING + (255,)
    # The tensor: a 2x2 grid of squares in the ring's middle.
    for gx in (0.40, 0.52):
        for gy in (0.40, 0.52):
            if gx <= u <= gx + 0.09 and gy <= v <= gy + 0.09:
                return GRID + (255,)
    return BACKGROUND + (255,)


def render(size):
    """Rows of RGBA bytes for a size x size logo, each pixel averaged over sub-samples."""
    rows = []
    n = SUPERSAMPLE
    for y in range(size):
        row = bytearray([0])  # PNG filter type 0 (none) for this scanline
        for x in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(n):
                for sx in range(n):
                    c = coverage((x + (sx + 0.5) / n) / size, (y + (sy + 0.5) / n) / size)
                    for i in range(3):
                        acc[i] += c[i] * c[3]
                    acc[3] += c[3]
            alpha = acc[3] / (n * n)
            if acc[3]:
                row += bytes(round(acc[i] / acc[3]) for i in range(3))
            else:
                row += bytes(3)
            row.append(round(alpha))
        rows.append(bytes(row))
    return b"".join(rows)


def chunk(kind, data):
    """One PNG chunk: length, type, data, CRC."""
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(size):
    """A complete RGBA PNG file of the logo at size x size."""
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(render(size), 9)) + chunk(b"IEND", b""))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for size in SIZES:
        with open(os.path.join(here, f"logo-{size}x{size}.png"), "wb") as f:
            f.write(png(size))


if __name__ == "__main__":
    main()
