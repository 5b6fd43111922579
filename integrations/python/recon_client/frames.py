# The frames the add-on maps between (docs/outputs.md, docs/mesh-export.md), as plain maths:
#
#   crop / structure-map pixels (u right, v down, S×S)  ──  mesh space (glTF: metres, +Y up, +Z to the camera)
#   X = (u − 0.5·S)·k,  Y = (0.4·S − v)·k,  Z = −z·k,   k = 0.063 / (0.28·S) metres per pixel
#
#   mesh space (glTF) ── Blender (Z up, front view looks along +Y):  (x, y, z) → (x, −z, y)
#
# So the S×S structure map spans S·k metres (0.225 m at any S) and its centre is at mesh (0, −0.1·S·k).
import math

#: Inter-pupillary distance the mesh is scaled to (metres).
IPD = 0.063
#: Pupil spacing and pupil row in the crop, as fractions of S.
PUPIL_SPACING = 0.28
PUPIL_ROW = 0.4


def metres_per_pixel(size):
    """k: metres per crop pixel for an S×S crop."""
    return IPD / (PUPIL_SPACING * size)


def crop_to_mesh(u, v, size, z=0.0):
    """Crop pixel coordinates (continuous, origin at the top-left corner) → mesh space (glTF frame)."""
    k = metres_per_pixel(size)
    return ((u - 0.5 * size) * k, (PUPIL_ROW * size - v) * k, -z * k)


def mesh_to_crop(x, y, size):
    k = metres_per_pixel(size)
    return (x / k + 0.5 * size, PUPIL_ROW * size - y / k)


def gltf_to_blender(p):
    """glTF / mesh space → Blender world (what Blender's glTF importer does with +Y up)."""
    return (p[0], -p[2], p[1])


def blender_to_gltf(p):
    return (p[0], p[2], -p[1])


def image_to_crop(matrix, x, y):
    """Photo pixels → crop pixels with result.json's ``alignment.matrix`` [a, b, c, d, e, f]."""
    a, b, c, d, e, f = matrix
    return (a * x + b * y + c, d * x + e * y + f)


def reference_placement(size, back=0.0):
    """Where the structure-map reference image goes in Blender so that it lies exactly under the mesh in the
    front view: an image empty of display size S·k metres, centred (offset −0.5, −0.5), rotated +90° about X
    (its image plane becomes the XZ plane, facing −Y, i.e. towards a front-view camera), its centre at
    X = 0, Z = −0.1·S·k, and at Y = ``back`` (behind the face; the face looks towards −Y)."""
    extent = size * metres_per_pixel(size)
    return {
        "display_size": extent,
        "offset": (-0.5, -0.5),
        "rotation_euler": (math.pi / 2, 0.0, 0.0),
        "location": (0.0, back, (PUPIL_ROW - 0.5) * extent),
        "extent": extent,
    }


def reference_to_crop(local_x, local_y, size):
    """A point on the reference image in the empty's local plane (metres, centred) → crop pixels."""
    extent = size * metres_per_pixel(size)
    return ((local_x / extent + 0.5) * size, (0.5 - local_y / extent) * size)
