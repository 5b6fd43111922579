# Which files of a finished job Maya uses, read from result.json's ``outputs`` (the files actually written)
# and its ``mesh`` (the mesh's view), never from fixed names — so the module follows the daemon as it gains
# views:
#   the mesh      face.obj (MESH_KIND) — Maya reads OBJ out of the box; it has no glTF importer, and the
#                 daemon writes no FBX;
#   its texture   texture.png ("texture", as face.mtl names it), and the detail normal map texture-normal.png
#                 ("textureNormal") when the daemon writes one;
#   the reference the structure map *in the mesh's view*, so the two line up: front-structure.png under the
#                 head-frame mesh (the front view, the default), structure.png under a camera-view mesh (the
#                 camera-view preference, and daemons before the front view, whose only view it is).
# The views and their maps are the shared client's (recon_client.results.REFERENCE_KINDS, as the Blender add-on
# uses them; docs/outputs.md). Pure: no maya.
import os

from .recon_client import errors, results
from .recon_client.errors import ReconError

#: The structure map of each view (result.json output kinds), shared with the Blender add-on.
REFERENCE_KINDS = results.REFERENCE_KINDS
#: The mesh Maya imports.
MESH_KIND = "obj"
TEXTURE_KIND = "texture"
NORMAL_MAP_KIND = "textureNormal"
VIEWS = ("front", "camera")


class Choice(object):
    """The files for the scene: ``mesh``, ``texture``, ``normal_map`` (or None), ``reference`` (paths), with
    ``reference_kind``, ``view`` (the mesh's view) and ``notes`` (what the user should know, e.g. a fallback)."""

    __slots__ = ("mesh", "texture", "normal_map", "reference", "reference_kind", "view", "notes")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))

    def __repr__(self):
        return "Choice(view=%r, reference_kind=%r, mesh=%r)" % (self.view, self.reference_kind, self.mesh)


def mesh_view(result, preferred="front"):
    """The view the mesh was exported in: result.json's ``mesh.view``; a result without one comes from a daemon
    before the front view, whose mesh is in the camera view."""
    mesh = result.get("mesh") if isinstance(result, dict) else None
    if isinstance(mesh, dict) and mesh.get("view") in VIEWS:
        return mesh["view"]
    return "camera" if isinstance(mesh, dict) else preferred


def choose(result, files, preferred_view="front"):
    """``files``: kind → local path (what was downloaded). Raises ReconError(MISSING_OUTPUT) without a mesh or
    without any structure map."""
    if preferred_view not in VIEWS:
        raise ReconError("Expected one of %s for view but received %r" % (", ".join(VIEWS), preferred_view),
                         errors.INVALID_OPTION, "Pick Front or Camera in Face Recon ▸ Preferences….")
    notes = []
    if MESH_KIND not in files:
        raise ReconError("the job completed without face.obj", errors.MISSING_OUTPUT,
                         "The daemon wrote no OBJ for this photo; see result.json in %s." % os.path.dirname(files.get("result", "")))
    view = mesh_view(result, preferred_view)
    if view != preferred_view:
        notes.append("the daemon made a %s-view mesh (it has no %s view); its %s map is the reference" % (
            view, preferred_view, REFERENCE_KINDS[view]))
    reference_kind = REFERENCE_KINDS[view]
    if reference_kind not in files:
        other = REFERENCE_KINDS["camera" if view == "front" else "front"]
        if other not in files:
            raise ReconError("the job completed without a structure map", errors.MISSING_OUTPUT,
                             "The daemon wrote neither %s nor %s; see result.json." % (REFERENCE_KINDS["front"], REFERENCE_KINDS["camera"]))
        notes.append("no %s map: %s is shown instead and will not line up with the mesh exactly" % (reference_kind, other))
        reference_kind = other
    texture = files.get(TEXTURE_KIND) or _mtl_texture(files.get("mtl"))
    return Choice(mesh=files[MESH_KIND], texture=texture, normal_map=files.get(NORMAL_MAP_KIND), reference=files[reference_kind],
                  reference_kind=reference_kind, view=view, notes=notes)


def _mtl_texture(mtl_path):
    """The map_Kd of face.mtl, as a path beside it (for a result.json that does not name the texture)."""
    if not mtl_path or not os.path.isfile(mtl_path):
        return None
    with open(mtl_path, "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split(None, 1)
            if len(parts) == 2 and parts[0] == "map_Kd":
                p = os.path.join(os.path.dirname(mtl_path), parts[1].strip())
                return p if os.path.isfile(p) else None
    return None


def daemon_view_option(preferred_view, client_views):
    """The ``view`` option to send — only when this client knows the option (``client_views``:
    recon_client.jobs.VIEWS, absent before the front view; a daemon of that age has only the camera view)."""
    if preferred_view in (client_views or ()):
        return {"view": preferred_view}
    return {}
