# Where a result goes in a Maya scene, as plain numbers (mayahost applies them). Pure: no maya.
#
# Frames. The daemon's mesh is in metres, right-handed, +Y up, +X to the image's right, +Z out of the face
# towards the camera, the pupils' midpoint at the origin (docs/mesh-export.md) — Maya's own axes when the scene is
# Y-up (the default): the face looks along +Z, straight at the `front` camera, whose view has +X to the right and
# +Y up. In a Z-up scene the result's group is turned +90° about X, (x, y, z) ↦ (x, −z, y): the face then looks
# along −Y, at Z-up's `front` camera. Lengths go from metres to the scene's unit (units.py): ×100 in centimetres.
#
# The reference. Crop (and front-view) pixel (u, v) of the S×S structure map is the mesh point
# ((u − 0.5·S)·k, (0.4·S − v)·k) with k metres per pixel (result.json alignment.metresPerPixel, else
# 0.063 / (0.28·S)): the map spans S·k = 0.225 m on a side, its centre at (0, −0.1·S·k). It goes on an image
# plane of the `front` camera, *fixed* (lockedToCamera off: Maya's default for orthographic cameras), which Maya
# draws at ``imageCenter`` with ``width`` × ``height`` in scene units — so it stays under the mesh when the view
# pans and zooms. Its centre sits a little behind the back of the face (the OBJ's smallest z), so the mesh is in
# front of it.
#
# Slots. Results sit side by side along +X, X₀ = n · 0.3 m (recon_client/placement.py, as in Blender): a new
# result takes the first slot whose front-view box overlaps no other result; reconstructing a photo again keeps
# its slot.
from .recon_client import frames, placement, results
from .recon_client.errors import ReconError
from . import units

#: Metres between the back of the face and the reference behind it.
REFERENCE_GAP = 0.005
#: Relative disagreement between the axes' import scales above which the import is refused (layout.import_scale).
SCALE_TOLERANCE = 0.01
UP_AXES = ("y", "z")


def y_up_to_scene(p, up_axis):
    """A point in Y-up coordinates (the mesh's frame, Maya's default) → the scene's: unchanged for a Y-up scene,
    (x, −z, y) for a Z-up one."""
    if up_axis == "y":
        return (p[0], p[1], p[2])
    if up_axis == "z":
        return frames.gltf_to_blender(p)
    raise ValueError("Expected y or z for the up axis but received %r" % (up_axis,))


def reference_square(result):
    """(S, k, extent, centre_y): the map's size in pixels, metres per pixel, its side S·k in metres and the
    height of its centre in the mesh's frame (−0.1·S·k)."""
    size = results.crop_size(result)
    k = results.scale(result)
    extent = size * k
    return size, k, extent, (frames.PUPIL_ROW - 0.5) * extent


def front_box(result, mesh_bounds):
    """The result's box as the front view sees it, relative to its own origin, metres: (xmin, xmax, ymin, ymax) of
    the reference square and the mesh (a turned face's mesh can reach beyond its image)."""
    _s, _k, extent, cy = reference_square(result)
    box = (-extent / 2, extent / 2, cy - extent / 2, cy + extent / 2)
    if mesh_bounds is None:
        return box
    return placement.union([box, (mesh_bounds.min[0], mesh_bounds.max[0], mesh_bounds.min[1], mesh_bounds.max[1])])


class Plan(object):
    """Everything mayahost sets, in scene units and the scene's axes."""

    __slots__ = ("unit", "units_per_metre", "up_axis", "slot", "slot_x", "box", "group_translate", "group_rotate",
                 "image_center", "image_width", "image_height", "reference_depth", "size", "metres_per_pixel")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw[k])

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}


def plan(result, mesh_bounds, unit, up_axis="y", taken=(), slot=None):
    """The placement of one result. ``taken``: front-view boxes (xmin, xmax, ymin, ymax) of the results already
    in the scene, metres, world X; ``slot``: keep this slot (a photo reconstructed again), else the first free one.
    Raises ValueError for an unknown unit or up axis."""
    if up_axis not in UP_AXES:
        raise ValueError("Expected y or z for the up axis but received %r" % (up_axis,))
    u = units.units_per_metre(unit)
    size, k, extent, cy = reference_square(result)
    box = front_box(result, mesh_bounds)
    n = slot if slot is not None else placement.free_slot(list(taken), box)
    x0 = placement.slot_x(n)
    back = max(0.0, -mesh_bounds.min[2]) if mesh_bounds is not None else (results.depth_back_metres(result) or 0.1)
    depth = -(back + REFERENCE_GAP)
    # The group carries the slot (and, Z-up, the turn); the image plane is in world space.
    centre = y_up_to_scene((x0, cy, depth), up_axis)
    return Plan(
        unit=units.short_name(unit), units_per_metre=u, up_axis=up_axis, slot=n, slot_x=x0, box=box,
        group_translate=tuple(v * u for v in (x0, 0.0, 0.0)),
        group_rotate=(90.0, 0.0, 0.0) if up_axis == "z" else (0.0, 0.0, 0.0),
        image_center=tuple(v * u for v in centre), image_width=extent * u, image_height=extent * u,
        reference_depth=depth, size=size, metres_per_pixel=k,
    )


def world_box(box, slot_x):
    """A result's front-view box moved to its slot (what ``taken`` holds)."""
    return (box[0] + slot_x, box[1] + slot_x, box[2], box[3])


def import_scale(file_bounds, measured_min, measured_max, units_per_metre):
    """The uniform scale that makes an imported face.obj metres in the scene's unit, whatever the OBJ importer
    did with units: the file's extent (its own numbers, metres) against the extent Maya measured after the import
    (``exactWorldBoundingBox``, scene units, before any transform of ours). Raises ReconError when the axes
    disagree (the importer turned or squashed the mesh)."""
    factors = []
    for i in range(3):
        raw = file_bounds.max[i] - file_bounds.min[i]
        got = measured_max[i] - measured_min[i]
        if raw <= 0 or got <= 0:
            continue
        factors.append(got / raw)
    if not factors:
        raise ReconError("the imported mesh has no extent", "SCENE_BUILD_FAILED", "The OBJ import produced an empty mesh.")
    lo, hi = min(factors), max(factors)
    if (hi - lo) / hi > SCALE_TOLERANCE:
        raise ReconError(
            "the OBJ importer changed the mesh's proportions (scale per axis %s)" % ", ".join("%.4g" % f for f in factors),
            "SCENE_BUILD_FAILED", "Report this with your Maya version: the module expects OBJ coordinates to be imported as they are.")
    return units_per_metre / (sum(factors) / len(factors))


def node_name(photo_stem):
    """A Maya node name from a photo's name: letters, digits and _ only, not starting with a digit (≤ 60)."""
    out = "".join(ch if (ch.isalnum() and ord(ch) < 128) or ch == "_" else "_" for ch in photo_stem.strip())
    out = out.strip("_") or "photo"
    if out[0].isdigit():
        out = "photo_" + out
    return out[:60]
