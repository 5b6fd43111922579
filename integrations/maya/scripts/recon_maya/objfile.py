# What the module needs to know of the daemon's face.obj before Maya imports it: its extent in the file's own
# numbers (metres), so the import can be checked and scaled to the scene's unit whatever the OBJ importer does
# with units (layout.import_scale), and how far the face reaches behind the pupils (where the reference goes).
# Pure: no maya.
from .recon_client.errors import ReconError


class ObjBounds(object):
    __slots__ = ("min", "max", "vertices")

    def __init__(self, lo, hi, vertices):
        self.min = lo
        self.max = hi
        self.vertices = vertices

    @property
    def size(self):
        return tuple(b - a for a, b in zip(self.min, self.max))

    def __repr__(self):
        return "ObjBounds(min=%r, max=%r, vertices=%d)" % (self.min, self.max, self.vertices)


def bounds(path):
    """Axis-aligned bounds of the ``v`` lines of an OBJ file (its own units)."""
    lo = [float("inf")] * 3
    hi = [float("-inf")] * 3
    n = 0
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.startswith("v "):
                continue
            parts = line.split()
            try:
                p = (float(parts[1]), float(parts[2]), float(parts[3]))
            except (IndexError, ValueError):
                raise ReconError("face.obj has a malformed vertex line: %r" % line.strip()[:80], "SCENE_BUILD_FAILED",
                                 "The daemon wrote an unreadable OBJ; see its log.")
            for i in range(3):
                lo[i] = min(lo[i], p[i])
                hi[i] = max(hi[i], p[i])
            n += 1
    if n == 0:
        raise ReconError("face.obj has no vertices: %s" % path, "SCENE_BUILD_FAILED", "The daemon wrote an empty mesh; see its log.")
    return ObjBounds(tuple(lo), tuple(hi), n)
