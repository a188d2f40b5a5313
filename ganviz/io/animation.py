"""A run's recorded moments as a GIF, and a digit grid as a PNG."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ganviz.figures.style import FAKE_COLOUR, REAL_COLOUR


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


# Plotly's "RdBu" diverging scale (plotly.colors.diverging.RdBu), low (red) to high (blue): D's
# surface is red where it says "fake" and blue where it says "real", as with colorscale="RdBu".
DIVERGING_STOPS = (
    (103, 0, 31),
    (178, 24, 43),
    (214, 96, 77),
    (244, 165, 130),
    (253, 219, 199),
    (247, 247, 247),
    (209, 229, 240),
    (146, 197, 222),
    (67, 147, 195),
    (33, 102, 172),
    (5, 48, 97),
)
SURFACE_OPACITY = 0.6  # the surface over a white page, so dots on it stay visible
REAL_RGB = _rgb(REAL_COLOUR)  # the same dot colours as the live view
FAKE_RGB = _rgb(FAKE_COLOUR)
TEXT_RGB = (0, 0, 0)
LABEL_BG_RGB = (255, 255, 255)
_LEVELS = 201  # surface colours; odd, so the centre value maps exactly to the middle stop
_REAL, _FAKE, _TEXT, _LABEL_BG = _LEVELS, _LEVELS + 1, _LEVELS + 2, _LEVELS + 3


def surface_rgb(t: np.ndarray) -> np.ndarray:
    """Colours (..., 3) uint8 of positions t in [0, 1] on the diverging scale, blended on white."""
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
    stops = np.asarray(DIVERGING_STOPS, dtype=np.float64)
    x = np.linspace(0.0, 1.0, len(stops))
    rgb = np.stack([np.interp(t, x, stops[:, c]) for c in range(3)], axis=-1)
    rgb = SURFACE_OPACITY * rgb + (1 - SURFACE_OPACITY) * 255.0
    return np.rint(rgb).astype(np.uint8)


def _palette() -> list[int]:
    colours = list(map(tuple, surface_rgb(np.linspace(0.0, 1.0, _LEVELS))))
    colours += [REAL_RGB, FAKE_RGB, TEXT_RGB, LABEL_BG_RGB]
    colours += [(0, 0, 0)] * (256 - len(colours))
    return [c for rgb in colours for c in rgb]


def _colour_ranges(snapshots) -> dict[str, tuple[float, float]]:
    """(centre, half-width) of the colour scale per kind of D output, shared by every frame:
    probabilities 0..1 around 0.5; critics symmetric around 0 over ALL frames; least-squares
    scores around 0.5, covering at least 0..1 and every frame's values."""

    def largest(kind, centre):
        values = [np.abs(np.asarray(s.d_surface, dtype=np.float64) - centre) for s in snapshots if s.d_output == kind]
        finite = [v[np.isfinite(v)] for v in values]
        return max((float(v.max()) for v in finite if v.size), default=0.0)

    critic = largest("critic", 0.0)
    return {
        "probability": (0.5, 0.5),
        "score": (0.5, max(0.5, largest("score", 0.5))),
        "critic": (0.0, critic if critic > 0 else 1.0),
    }


def _sample_surface(snap, size: int) -> np.ndarray:
    """D's surface bilinearly resampled at the centres of a size×size pixel grid, row 0 at the top."""
    xmin, xmax, ymin, ymax = snap.extent
    px = xmin + (np.arange(size) + 0.5) / size * (xmax - xmin)
    py = ymax - (np.arange(size) + 0.5) / size * (ymax - ymin)
    gx, gy = np.asarray(snap.grid_x, dtype=np.float64), np.asarray(snap.grid_y, dtype=np.float64)
    surface = np.nan_to_num(np.asarray(snap.d_surface, dtype=np.float64), nan=0.0)
    fx = np.interp(px, gx, np.arange(len(gx)))  # fractional column of each pixel
    fy = np.interp(py, gy, np.arange(len(gy)))  # fractional row (rows follow grid_y)
    x0 = np.clip(np.floor(fx).astype(int), 0, len(gx) - 2)
    y0 = np.clip(np.floor(fy).astype(int), 0, len(gy) - 2)
    wx, wy = (fx - x0)[None, :], (fy - y0)[:, None]
    a, b = surface[y0][:, x0], surface[y0][:, x0 + 1]
    c, d = surface[y0 + 1][:, x0], surface[y0 + 1][:, x0 + 1]
    return (a * (1 - wx) + b * wx) * (1 - wy) + (c * (1 - wx) + d * wx) * wy


def _stamp(index: np.ndarray, points, extent, colour: int, radius: int) -> None:
    """Draw each (x, y) point as a filled disc of palette index `colour`, y up."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    size_y, size_x = index.shape
    xmin, xmax, ymin, ymax = extent
    col = np.floor((points[:, 0] - xmin) / (xmax - xmin) * size_x).astype(np.int64)
    row = np.floor((ymax - points[:, 1]) / (ymax - ymin) * size_y).astype(np.int64)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dx * dx + dy * dy > radius * radius + radius:  # a round-ish disc
                continue
            r, c = row + dy, col + dx
            ok = (r >= 0) & (r < size_y) & (c >= 0) & (c < size_x)
            index[r[ok], c[ok]] = colour


def _font(size: int):
    try:
        return ImageFont.load_default(size=max(10, size // 26))
    except TypeError:  # a Pillow without the scalable default font
        return ImageFont.load_default()


def snapshots_gif(snapshots: list, *, size: int = 360, fps: float = 8) -> bytes:
    """An animated GIF (looping forever) of recorded snapshots, one frame each.

    Each size×size frame shows D's surface over the snapshot's extent (y up) on the diverging scale
    (probabilities centred at 0.5; critic values centred at 0 with one symmetric range over all
    frames, so colours compare across frames), the real points and G's fixed-z samples as small
    dots, the iteration, the frame number and a legend. All frames share one palette, so the
    colours are exact (no dithering).
    """
    snapshots = list(snapshots)
    if not snapshots:
        raise ValueError(
            "no snapshots to animate: train for a while (snapshots are recorded as it runs), then export again"
        )
    if size < 64:
        raise ValueError(f"size must be at least 64 pixels (got {size})")
    if not fps > 0:
        raise ValueError(f"fps must be positive (got {fps})")
    ranges = _colour_ranges(snapshots)
    palette, font = _palette(), _font(size)
    radius = max(1, round(size / 180))
    frames = []
    for i, snap in enumerate(snapshots):
        centre, half = ranges.get(snap.d_output, (0.5, 0.5))
        t = 0.5 + (_sample_surface(snap, size) - centre) / (2 * half)
        index = np.rint(np.clip(t, 0.0, 1.0) * (_LEVELS - 1)).astype(np.uint8)
        _stamp(index, snap.real, snap.extent, _REAL, radius)
        _stamp(index, snap.fake, snap.extent, _FAKE, radius)
        frame = Image.new("P", (size, size))
        frame.frombytes(np.ascontiguousarray(index).tobytes())
        frame.putpalette(palette)
        _label(ImageDraw.Draw(frame), font, size, f"iteration {snap.iteration:,}", f"{i + 1}/{len(snapshots)}")
        frames.append(frame)
    out = io.BytesIO()
    frames[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        loop=0,
        duration=max(20, round(1000 / fps)),
        optimize=False,
    )
    return out.getvalue()


def _label(draw: ImageDraw.ImageDraw, font, size: int, title: str, counter: str) -> None:
    """Iteration top left, frame counter top right (it also keeps frames distinct, so the GIF
    writer never merges two), legend bottom left: each on a white box."""
    pad = max(2, size // 120)

    def box(x, y, text, anchor):
        left, top, right, bottom = draw.textbbox((x, y), text, font=font, anchor=anchor)
        draw.rectangle((left - pad, top - pad, right + pad, bottom + pad), fill=_LABEL_BG)
        draw.text((x, y), text, font=font, fill=_TEXT, anchor=anchor)

    box(2 * pad, 2 * pad, title, "la")
    box(size - 2 * pad, 2 * pad, counter, "ra")
    # legend: a dot in each colour, then its name
    _, top, _, bottom = draw.textbbox((0, 0), "realfake", font=font, anchor="la")
    height = bottom - top
    r = max(2, height // 3)
    items = [("real", _REAL), ("fake", _FAKE)]
    width = sum(2 * r + pad + draw.textlength(name, font=font) for name, _ in items) + 3 * pad * (len(items) - 1)
    x, y = 2 * pad, size - 2 * pad - height  # top of the legend's text line
    draw.rectangle((x - pad, y - pad, x + width + pad, y + height + pad), fill=_LABEL_BG)
    for name, colour in items:
        cy = y + height // 2
        draw.ellipse((x, cy - r, x + 2 * r, cy + r), fill=colour)
        x += 2 * r + pad
        draw.text((x, y - top), name, font=font, fill=_TEXT, anchor="la")
        x += draw.textlength(name, font=font) + 3 * pad


def samples_png(grid: np.ndarray, scale: int = 4) -> bytes:
    """A sample grid (rows, cols, H, W) in [0, 1] as a PNG: black digits on white, cells split by
    white lines, each pixel `scale`×`scale`."""
    from ganviz.figures.images import tile

    picture = np.kron(tile(grid, pad=0.0), np.ones((scale, scale)))
    out = io.BytesIO()
    Image.fromarray((255 * (1 - picture.clip(0, 1))).astype(np.uint8), mode="L").save(out, format="PNG")
    return out.getvalue()
