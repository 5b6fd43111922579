# Where a new result goes in the scene: side by side along +X, so that two photos never give two intersecting
# faces and nothing already in the scene (the default cube) hides a new face in the Front view. Pure: no bpy.
#
# Results sit on *slots*, X = n·SLOT_SPACING (n = 0, 1, 2 …). A new result takes the smallest n at which its
# Front-view box (its reference image and its mesh — a turned face's mesh can reach beyond the image), widened
# by half a GAP on each side, overlaps nothing already there: no other result, and nothing visible that the
# Front view (looking along +Y) would see overlapping it — a box overlapping it in X and in Z with a positive
# area. A floor plane seen edge-on (no height) does not block. A result of the usual size (its 0.225 m image)
# with the gap takes exactly one 0.3 m slot.

#: Metres between neighbouring slots: the 0.225 m reference image plus the gap.
SLOT_SPACING = 0.3
#: Metres kept free between a result and its neighbours.
GAP = 0.075

_EPS = 1e-6


def _overlap(a0, a1, b0, b1):
    return min(a1, b1) - max(a0, b0)


def slot_x(n, spacing=SLOT_SPACING):
    """X of slot ``n`` (metres)."""
    return n * spacing


def free_slot(boxes, extent, spacing=SLOT_SPACING, gap=GAP, max_slots=10000):
    """The smallest slot index n ≥ 0 at which the new result fits: its Front-view box ``extent`` = (xmin, xmax,
    zmin, zmax), relative to its own origin (metres), moved to X = n·spacing and widened by gap/2 on each side,
    overlaps none of ``boxes`` — (xmin, xmax, zmin, zmax) of what is already in the scene, world — with a
    positive area. Slots are scanned left to right, bounded by ``max_slots``."""
    x0, x1, z0, z1 = extent
    blocked = []
    for xmin, xmax, zmin, zmax in boxes:
        if _overlap(zmin, zmax, z0, z1) <= _EPS or xmax - xmin <= _EPS:
            continue  # not at this height, or seen edge-on: cannot hide or touch the result
        blocked.append((xmin, xmax))
    for n in range(max_slots):
        x = slot_x(n, spacing)
        lo, hi = x + x0 - gap / 2, x + x1 + gap / 2
        if all(_overlap(lo, hi, a, b) <= _EPS for a, b in blocked):
            return n
    return max_slots


def union(boxes):
    """The box holding all of ``boxes`` (xmin, xmax, zmin, zmax), or None for none."""
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes), max(b[3] for b in boxes))


def box_of_points(points):
    """(xmin, xmax, zmin, zmax) of world points (x, y, z): what the Front view sees of them."""
    xs = [p[0] for p in points]
    zs = [p[2] for p in points]
    return (min(xs), max(xs), min(zs), max(zs))
