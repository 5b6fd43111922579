# Where a new result goes in the scene: side by side along +X, so that two photos never give two intersecting
# faces and nothing already in the scene (the default cube) hides a new face in the Front view. Pure: no bpy.
#
# Each result occupies one *slot*: a band SLOT_SPACING wide in X centred on X = n·SLOT_SPACING (n = 0, 1, 2 …),
# at the height of its reference image. A new result takes the smallest n whose band is free: no other result
# in it, and nothing visible there that the Front view (looking along +Y) would see overlapping it — a box
# overlapping the band in X and in Z with a positive area. A floor plane seen edge-on (no height) does not block.

#: Metres between the centres of neighbouring results: the 0.225 m reference image plus a 0.075 m gap.
SLOT_SPACING = 0.3

_EPS = 1e-6


def _overlap(a0, a1, b0, b1):
    return min(a1, b1) - max(a0, b0)


def slot_x(n, spacing=SLOT_SPACING):
    """X of slot ``n``'s centre (metres)."""
    return n * spacing


def free_slot(boxes, z_range, spacing=SLOT_SPACING, max_slots=10000):
    """The smallest slot index n ≥ 0 whose band [n·s − s/2, n·s + s/2] × ``z_range`` (Front-view X and Z, metres)
    overlaps none of ``boxes`` — (xmin, xmax, zmin, zmax) of things already in the scene — with a positive
    area. Slots are scanned left to right; the answer is at most the number of boxes (each box blocks a run of
    slots), bounded by ``max_slots``."""
    z0, z1 = z_range
    blocked = []
    for xmin, xmax, zmin, zmax in boxes:
        if _overlap(zmin, zmax, z0, z1) <= _EPS or xmax - xmin <= _EPS:
            continue  # not at this height, or seen edge-on: cannot hide or touch the result
        blocked.append((xmin, xmax))
    for n in range(max_slots):
        x = slot_x(n, spacing)
        lo, hi = x - spacing / 2, x + spacing / 2
        if all(_overlap(lo, hi, a, b) <= _EPS for a, b in blocked):
            return n
    return max_slots


def box_of_points(points):
    """(xmin, xmax, zmin, zmax) of world points (x, y, z): what the Front view sees of them."""
    xs = [p[0] for p in points]
    zs = [p[2] for p in points]
    return (min(xs), max(xs), min(zs), max(zs))
