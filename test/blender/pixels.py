"""Reading screenshots of a Blender UI session (inside Blender: bpy + numpy), for test/blender/ui_session.py.

- ``load(path)``: an RGB float array, rows top-down (screen order).
- ``ellipses(rgb, box)``: where Blender cut a text. Blender never wraps a label: a text wider than its button is
  drawn shortened with a horizontal ellipsis "…" (at the end, or in the middle of file names). The glyph is
  three small dots on the text's baseline, evenly spaced, with nothing below them — unlike a full stop (one
  dot), a colon (stacked dots) or the dots of i and j (a stem below). Counting them in the sidebar tells
  whether any label was cut, from the pixels Blender actually drew.
"""
import bpy
import numpy as np


def load(path):
    img = bpy.data.images.load(path, check_existing=False)
    try:
        w, h = img.size
        px = np.empty(w * h * 4, dtype=np.float32)
        img.pixels.foreach_get(px)
    finally:
        bpy.data.images.remove(img)
    return px.reshape(h, w, 4)[::-1, :, :3].copy()


def _components(mask):
    """4-connected components of a boolean mask: list of (y0, x0, y1, x1, area), bounds inclusive."""
    h, w = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    out = []
    ys, xs = np.nonzero(mask)
    for y, x in zip(ys.tolist(), xs.tolist()):
        if seen[y, x]:
            continue
        stack = [(y, x)]
        seen[y, x] = True
        y0 = y1 = y
        x0 = x1 = x
        area = 0
        while stack:
            cy, cx = stack.pop()
            area += 1
            y0, y1, x0, x1 = min(y0, cy), max(y1, cy), min(x0, cx), max(x1, cx)
            for ny, nx in ((cy + 1, cx), (cy - 1, cx), (cy, cx + 1), (cy, cx - 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        out.append((y0, x0, y1, x1, area))
    return out


def text_mask(rgb, box):
    """Pixels of light text on the dark theme inside ``box`` = (x0, y0, x1, y1) in screenshot pixels (top-down):
    brighter than the local background by a clear step."""
    x0, y0, x1, y1 = box
    lum = rgb[y0:y1, x0:x1].mean(axis=2)
    bg = np.median(lum)
    return lum > bg + 0.16


def ellipses(rgb, box, dot_max=3):
    """The "…" glyphs drawn inside ``box``: a list of (x, y) screenshot positions (its first dot).

    A "…" is two tiny dots on one baseline, 2–7 px apart, with nothing right above or below them and nothing
    between them, and a third mark at the same step (a dot, or the start of the next glyph when Blender draws
    the "…" touching it, as in "abc…st")."""
    x0, y0, x1, y1 = box
    # The mask reaches a few rows below the box: a glyph cut by the box's lower edge must not leave its top
    # (the dot of an i, the top of a t) looking like a lone dot. Only dots inside the box count.
    mask = text_mask(rgb, (x0, y0, x1, min(rgb.shape[0], y1 + 6)))
    comps = _components(mask)
    dots = [c for c in comps if c[2] - c[0] + 1 <= dot_max and c[3] - c[1] + 1 <= dot_max and c[4] <= dot_max * dot_max
            and c[2] < y1 - y0]
    by_bottom = {}
    for d in dots:
        by_bottom.setdefault(d[2], []).append(d)

    def clear_around(d):
        above = mask[max(0, d[0] - 3):d[0], d[1]:d[3] + 1]
        below = mask[d[2] + 1:d[2] + 4, d[1]:d[3] + 1]
        return not above.any() and not below.any()

    def dot_at(x, bottom):
        return any(abs(d[1] - x) <= 1 for b in (bottom - 1, bottom, bottom + 1) for d in by_bottom.get(b, []))

    found = []
    for bottom, row in by_bottom.items():
        row = sorted(row, key=lambda d: d[1])
        for a in row:
            if not clear_around(a):
                continue
            for b in row:
                g = b[1] - a[1]
                if not 2 <= g <= 7 or not clear_around(b):
                    continue
                if mask[min(a[0], b[0]):bottom + 1, a[3] + 1:b[1]].any():
                    continue  # something between the two dots
                if dot_at(a[1] - g, bottom):
                    continue  # a is the middle dot of a "…" found from its first dot
                third = mask[b[0]:b[2] + 1, b[1] + g - 1:b[1] + g + 2]
                if not third.any():
                    continue
                pos = (x0 + a[1], y0 + a[0])
                if pos not in found:
                    found.append(pos)
    return sorted(found, key=lambda p: (p[1], p[0]))
