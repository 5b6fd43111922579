# Building the scene for one finished job — shared by the sidebar button (applied on the main thread by the
# timer in runtime.py) and by recon_bridge.api.reconstruct. Everything is created through the data API
# (bpy.data.*.new), so it works in background mode, from timers, and across Blender versions.
#
# What it builds, in a collection named after the photo (the files come from the job's outputs by kind:
# the reference map of the mesh's view, MESH_KIND, IMAGE_KINDS):
#   "<name> reference"  an image empty (Blender's reference image) showing the structure map in the mesh's view
#                       (front-structure.png under the default head-frame mesh, structure.png under a camera-view
#                       one: result.json says which), facing the front view, S·k metres wide, drawn behind
#                       geometry, half transparent, in orthographic views only;
#   "<name> face"       the face mesh from face.glb (a face mask: forehead to chin, no back of the head), aligned
#                       with it (mesh space → Blender: (x, y, z) → (x, −z, y)); its material with the texture and
#                       the detail normal map; translucent in Solid shading so the reference shows through it;
#   images "<name> crop|depth|normal|mask|front-…" (fake user, so they are saved with the file).
# Each result sits in its own slot along +X (recon_client/placement.py), so results never intersect; the new objects
# end up selected, the mesh active.
#
# The build is a transaction: everything is created first in an unlinked collection; any failure removes what
# was created and the scene is untouched. Reconstructing a photo again then swaps the contents of the
# collection the add-on made for it (kept in place, with its visibility) instead of adding a second one.
import json
import os

import bpy

from mathutils import Vector

from .recon_client import errors, frames, placement, results
from .recon_client.errors import ReconError
from .recon_client.glb import GlbError, read_mesh

#: Custom property on every ID we create; its value is the build's id (the daemon's job id).
TAG = "recon_bridge"

#: The result.json output kinds the scene is made of (result.outputs / job.completed files): the reference
#: image (the structure map in the mesh's view, JobOutcome.reference; REFERENCE_KIND when the job does not
#: say), the mesh, and the images loaded besides (if present).
REFERENCE_KIND = "structure"
MESH_KIND = "glb"
IMAGE_KINDS = ("crop", "depth", "normal", "mask", "structure", "front-structure", "front-depth", "front-normal", "front-mask")
NON_COLOR = ("depth", "normal", "mask", "front-depth", "front-normal", "front-mask")

#: The reference image's opacity, and the mesh's in Solid shading (its material's viewport colour alpha).
REFERENCE_OPACITY = 0.5
SOLID_ALPHA = 0.5


class ReconResult(list):
    """The created objects' names (a list, reference first), plus what else was built."""

    def __init__(self, names, collection, images, job_id, verdict, warnings, files, offset=0.0, selected=False):
        super().__init__(names)
        self.offset = offset
        self.selected = selected
        self.collection = collection
        self.images = images
        self.job_id = job_id
        self.verdict = verdict
        self.warnings = warnings
        self.files = files


def collection_name_for(photo):
    stem = os.path.splitext(os.path.basename(photo))[0].strip()
    return (stem or "photo")[:60]


def owned_collection(name):
    coll = bpy.data.collections.get(name)
    return coll if coll is not None and coll.get(TAG) else None


def _tag(id_, uid):
    id_[TAG] = uid
    return id_


def _remove_id(id_):
    """Remove one ID from bpy.data, whatever its type."""
    kind = type(id_).__name__
    try:
        if isinstance(id_, bpy.types.Object):
            bpy.data.objects.remove(id_, do_unlink=True)
        elif isinstance(id_, bpy.types.Mesh):
            bpy.data.meshes.remove(id_, do_unlink=True)
        elif isinstance(id_, bpy.types.Material):
            bpy.data.materials.remove(id_, do_unlink=True)
        elif isinstance(id_, bpy.types.Image):
            bpy.data.images.remove(id_, do_unlink=True)
        elif isinstance(id_, bpy.types.Collection):
            bpy.data.collections.remove(id_, do_unlink=True)
    except (ReferenceError, RuntimeError) as e:
        print("recon_bridge: could not remove %s: %s" % (kind, e))


def _owned_ids(uid):
    """The objects, and the meshes, materials and images, that the build ``uid`` made."""
    objects = [o for o in bpy.data.objects if o.get(TAG) == uid]
    data = [o.data for o in objects if o.data is not None and getattr(o.data, "get", None) and o.data.get(TAG) == uid]
    return objects, data


def _remove_contents(uid):
    """Remove what the build ``uid`` made — objects, then meshes, materials and images nothing else uses now."""
    objects, data = _owned_ids(uid)
    for obj in objects:
        _remove_id(obj)
    for id_ in data:
        if id_.users == 0:
            _remove_id(id_)
    for mat in [m for m in bpy.data.materials if m.get(TAG) == uid]:
        if mat.users == 0:
            _remove_id(mat)
    for img in [i for i in bpy.data.images if i.get(TAG) == uid]:
        if img.users <= (1 if img.use_fake_user else 0):
            _remove_id(img)


def remove_collection(name, scene=None):
    """Remove a collection this add-on built, with its objects and the meshes, materials and images it made
    for them (unless something else now uses them). Objects the user added to it move to the scene's root
    collection. Returns True if there was one."""
    coll = owned_collection(name)
    if coll is None:
        return False
    uid = coll[TAG]
    scene = scene or bpy.context.scene
    for obj in list(coll.objects):
        if obj.get(TAG) != uid:
            if scene is not None and obj.name not in scene.collection.objects:
                scene.collection.objects.link(obj)
            coll.objects.unlink(obj)
    _remove_contents(uid)
    _remove_id(coll)
    return True


# ---------------------------------------------------------------------------------------------------------
# Pieces


def _load_image(path, name, uid, pack, non_color=False, fake_user=False):
    img = bpy.data.images.load(path, check_existing=False)
    _tag(img, uid)
    img.name = name
    if non_color:
        try:
            img.colorspace_settings.name = "Non-Color"
        except TypeError:
            pass
    if pack:
        img.pack()
    img.use_fake_user = fake_user
    return img


def _image_from_bytes(data, name, uid):
    img = bpy.data.images.new(name, 8, 8)
    _tag(img, uid)
    img.pack(data=data, data_len=len(data))
    img.source = "FILE"
    img.filepath_raw = "//%s.png" % bpy.path.clean_name(name)
    return img


def _build_mesh_builtin(glb_path, name, uid, created):
    """face.glb → a mesh object through the data API (positions, UVs, custom normals, textured material)."""
    with open(glb_path, "rb") as f:
        m = read_mesh(f.read())
    me = _tag(bpy.data.meshes.new(name), uid)
    created.append(me)
    me.from_pydata([frames.gltf_to_blender(p) for p in m.positions], [], m.triangles)
    if m.uvs:
        uv = me.uv_layers.new(name="UVMap")
        loop_verts = [0] * len(me.loops)
        me.loops.foreach_get("vertex_index", loop_verts)
        flat = []
        for vi in loop_verts:
            u, v = m.uvs[vi]
            flat.extend((u, 1.0 - v))  # glTF's v runs from the image's top; Blender's from the bottom
        uv.data.foreach_set("uv", flat)
    me.polygons.foreach_set("use_smooth", [True] * len(me.polygons))
    if m.normals:
        if "use_auto_smooth" in me.bl_rna.properties:  # needed for custom normals before Blender 4.1
            me.use_auto_smooth = True
        me.normals_split_custom_set_from_vertices([frames.gltf_to_blender(n) for n in m.normals])
    me.update()
    if m.texture or m.material:
        mat = _tag(bpy.data.materials.new(name), uid)
        created.append(mat)
        mat.use_nodes = True
        nodes = mat.node_tree.nodes
        bsdf = next((n for n in nodes if n.type == "BSDF_PRINCIPLED"), None)
        if bsdf is not None:
            bsdf.inputs["Metallic"].default_value = float(m.material.get("metallicFactor", 0.0))
            bsdf.inputs["Roughness"].default_value = float(m.material.get("roughnessFactor", 0.8))
            if m.texture:
                tex_img = _image_from_bytes(m.texture, name + " texture", uid)
                created.append(tex_img)
                tex = nodes.new("ShaderNodeTexImage")
                tex.image = tex_img
                tex.extension = "EXTEND"
                tex.location = (bsdf.location.x - 320, bsdf.location.y)
                mat.node_tree.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
            if m.normal_texture:
                # The detail normal map (tangent space, OpenGL convention, derived from the photo's shading).
                nrm_img = _image_from_bytes(m.normal_texture, name + " normal map", uid)
                created.append(nrm_img)
                try:
                    nrm_img.colorspace_settings.name = "Non-Color"
                except TypeError:
                    pass
                ntex = nodes.new("ShaderNodeTexImage")
                ntex.image = nrm_img
                ntex.extension = "EXTEND"
                ntex.location = (bsdf.location.x - 520, bsdf.location.y - 300)
                nmap = nodes.new("ShaderNodeNormalMap")
                nmap.space = "TANGENT"
                nmap.uv_map = "UVMap"
                nmap.inputs["Strength"].default_value = float(m.material.get("normalScale", 1.0))
                nmap.location = (bsdf.location.x - 220, bsdf.location.y - 300)
                mat.node_tree.links.new(ntex.outputs["Color"], nmap.inputs["Color"])
                mat.node_tree.links.new(nmap.outputs["Normal"], bsdf.inputs["Normal"])
        mat.use_backface_culling = not m.material.get("doubleSided", False)
        me.materials.append(mat)
    obj = _tag(bpy.data.objects.new(name, me), uid)
    created.append(obj)
    for key, value in (m.extras or {}).items():
        try:
            obj[key] = value
        except (TypeError, ValueError):
            obj[key] = json.dumps(value)
    return obj


def _build_mesh_gltf(glb_path, name, uid, created, context):
    """face.glb through Blender's glTF importer; the new IDs are found by difference and tagged."""
    before = {k: set(getattr(bpy.data, k)) for k in ("objects", "meshes", "materials", "images")}
    try:
        bpy.ops.import_scene.gltf(filepath=glb_path)
    finally:
        new = {k: [i for i in getattr(bpy.data, k) if i not in before[k]] for k in before}
        for k in ("objects", "meshes", "materials", "images"):
            for id_ in new[k]:
                _tag(id_, uid)
                created.append(id_)
    objs = [o for o in new["objects"] if o.type == "MESH"]
    if len(objs) != 1:
        raise ReconError("the glTF importer made %d meshes, expected 1" % len(objs), errors.SCENE_BUILD_FAILED, "")
    obj = objs[0]
    for c in list(obj.users_collection):
        c.objects.unlink(obj)
    obj.name = name
    obj.data.name = name
    for mat in obj.data.materials:
        if mat is not None:
            mat.name = name
    return obj


def _mesh_back(obj):
    """Largest Blender Y of the mesh (the back of the face: it looks towards −Y)."""
    if obj is None or obj.type != "MESH" or not obj.data.vertices:
        return None
    mw = obj.matrix_world
    return max((mw @ v.co).y for v in obj.data.vertices)


def _see_through_in_solid(mat):
    """Solid shading (the default) draws a material with its viewport colour; an alpha below 1 there makes the
    workbench draw the mesh translucent, so the reference image behind it stays visible — without touching the
    user's shading settings. Material Preview and renders use the node tree and stay opaque."""
    r, g, b, _a = mat.diffuse_color
    mat.diffuse_color = (r, g, b, SOLID_ALPHA)


# ---------------------------------------------------------------------------------------------------------
# Where it goes in the scene

#: Front-view geometry (MESH, CURVE…) that can hide or touch a result; cameras, lights and plain empties are
#: overlays and do not count.
_SOLID_TYPES = {"MESH", "CURVE", "SURFACE", "META", "FONT", "VOLUME", "GPENCIL", "CURVES", "POINTCLOUD"}


def _front_box(obj):
    """(xmin, xmax, zmin, zmax) of what the Front view sees of ``obj`` (world), or None when it draws nothing
    solid. Image empties count with their image's rectangle."""
    # An object not in any scene yet (a result being built) has no evaluated matrix_world: use its own transform.
    mw = obj.matrix_world if obj.users_scene else obj.matrix_basis
    if obj.type == "EMPTY":
        if obj.empty_display_type != "IMAGE":
            return None
        size = obj.empty_display_size
        sx = sy = 1.0
        img = obj.data
        if img is not None and img.size[0] and img.size[1]:
            w, h = img.size
            sx, sy = (1.0, h / w) if w >= h else (w / h, 1.0)
        ox, oy = obj.empty_image_offset
        corners = [(ox + i) for i in (0.0, 1.0)], [(oy + j) for j in (0.0, 1.0)]
        pts = [mw @ Vector((x * size * sx, y * size * sy, 0.0)) for x in corners[0] for y in corners[1]]
    elif obj.type in _SOLID_TYPES:
        pts = [mw @ Vector(c) for c in obj.bound_box]
    else:
        return None
    return placement.box_of_points([tuple(p) for p in pts])


def front_box_of(objects):
    """(xmin, xmax, zmin, zmax, y middle) of ``objects`` as the Front view sees them (world), or None."""
    boxes = [b for b in (_front_box(o) for o in objects) if b is not None]
    if not boxes:
        return None
    ys = [(o.matrix_world.translation.y) for o in objects]
    return (min(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes), max(b[3] for b in boxes),
            sum(ys) / len(ys))


def _occupied(scene, view_layer, skip=()):
    """Front-view boxes of what a new result must not overlap: every result of this add-on (even hidden ones,
    which may be shown again) and everything else visible."""
    boxes = []
    for obj in scene.objects:
        if obj in skip:
            continue
        ours = bool(obj.get(TAG))
        if not ours:
            try:
                if not obj.visible_get(view_layer=view_layer):
                    continue
            except (RuntimeError, TypeError):
                continue
        box = _front_box(obj)
        if box is not None:
            boxes.append(box)
    return boxes


def _offset_for(old, scene, view_layer, extent, skip):
    """X offset of a new result: the old one's when replacing it, else the first free slot."""
    if old is not None:
        prev = old.get("recon_offset")
        if prev is not None:
            try:
                return float(prev[0])
            except (TypeError, IndexError, ValueError):
                pass
        ref = next((o for o in old.objects if o.get("recon_role") == "reference"), None)
        return float(ref.location.x) if ref is not None else 0.0
    n = placement.free_slot(_occupied(scene, view_layer, skip), extent)
    return placement.slot_x(n)


def _in_scene(coll, scene):
    """True if ``coll`` is somewhere in the scene's collection tree."""
    stack = [scene.collection]
    while stack:
        c = stack.pop()
        if c == coll:
            return True
        stack.extend(c.children)
    return False


def _carry_visibility(old_obj, new_obj, view_layer):
    """What the user set on the add-on's object before a rebuild (hidden, unselectable…) holds for its
    replacement."""
    new_obj.hide_viewport = old_obj.hide_viewport
    new_obj.hide_render = old_obj.hide_render
    new_obj.hide_select = old_obj.hide_select
    try:
        hidden = old_obj.hide_get(view_layer=view_layer)
    except (RuntimeError, TypeError):
        return
    if hidden:
        try:
            new_obj.hide_set(True, view_layer=view_layer)
        except (RuntimeError, TypeError):
            pass


def _select_new(objects, active, view_layer):
    """The new objects selected, the mesh active, as an importer leaves them — unless an object is in Edit
    (or another non-Object) mode, whose selection we do not take away. Returns True if the selection changed."""
    current = view_layer.objects.active
    if current is not None and getattr(current, "mode", "OBJECT") != "OBJECT":
        return False
    for obj in view_layer.objects:
        if obj.select_get(view_layer=view_layer):
            obj.select_set(False, view_layer=view_layer)
    selected = False
    for obj in objects:
        try:
            if obj.visible_get(view_layer=view_layer):
                obj.select_set(True, view_layer=view_layer)
                selected = True
        except RuntimeError:  # not in this view layer (its collection is excluded)
            pass
    if active is not None and active.name in view_layer.objects:
        view_layer.objects.active = active
    return selected


# ---------------------------------------------------------------------------------------------------------
# The build


def build_scene(outcome, name=None, import_mesh=True, load_images=True, mesh_importer="BUILTIN", scene=None,
                context=None, select=True):
    """Build (or replace) the collection for a finished job; returns a ReconResult (object names).

    A new photo's result goes beside the earlier ones (placement.free_slot); a photo reconstructed again
    replaces its collection's contents in place — the collection keeps its place in the Outliner, its
    visibility and anything the user added to it. With ``select`` the new objects end up selected and the
    mesh active. ``outcome`` is a recon_client.jobs.JobOutcome. Raises ReconError(SCENE_BUILD_FAILED) and leaves
    nothing behind if Blender refuses anything."""
    context = context or bpy.context
    scene = scene or context.scene
    view_layer = getattr(context, "view_layer", None) or scene.view_layers[0]
    if view_layer not in list(scene.view_layers):
        view_layer = scene.view_layers[0]
    name = name or collection_name_for(outcome.photo)
    uid = outcome.job_id
    created = []
    warnings = list(outcome.warnings)
    try:
        coll = _tag(bpy.data.collections.new(name + " (building)"), uid)
        created.append(coll)

        size = outcome.size
        k = results.scale(outcome.result)
        reference = outcome.reference if outcome.reference in outcome.files else REFERENCE_KIND
        struct = _load_image(outcome.files[reference], "%s %s" % (name, reference), uid, pack=outcome.fetched)
        created.append(struct)

        mesh_obj = None
        if import_mesh and MESH_KIND in outcome.files:
            if mesh_importer == "GLTF":
                try:
                    mesh_obj = _build_mesh_gltf(outcome.files[MESH_KIND], name + " face", uid, created, context)
                except Exception as e:  # the importer is optional: fall back, say so
                    for id_ in reversed([i for i in created if i is not coll and i is not struct]):
                        _remove_id(id_)
                    created[:] = [coll, struct]
                    warnings.append({"code": "GLTF_IMPORTER_FAILED", "severity": "warn",
                                     "message": "Blender's glTF importer failed (%s); used the built-in reader" % str(e).splitlines()[-1][:120],
                                     "hint": "Set Mesh import to Built-in in the add-on preferences."})
                    mesh_obj = None
            if mesh_obj is None:
                mesh_obj = _build_mesh_builtin(outcome.files[MESH_KIND], name + " face", uid, created)
            mesh_obj["recon_role"] = "face"
            for mat in mesh_obj.data.materials:
                if mat is not None:
                    _see_through_in_solid(mat)
            coll.objects.link(mesh_obj)

        back = _mesh_back(mesh_obj)
        if back is None:
            back = results.depth_back_metres(outcome.result) or 0.0
        place = frames.reference_placement(size, back + 0.002)
        extent = size * k
        empty = _tag(bpy.data.objects.new(name + " reference", None), uid)
        created.append(empty)
        empty.empty_display_type = "IMAGE"
        empty.data = struct
        empty.empty_display_size = extent
        empty.empty_image_offset = place["offset"]
        empty.location = place["location"]
        empty.rotation_euler = place["rotation_euler"]
        empty.empty_image_depth = "BACK"
        empty.empty_image_side = "FRONT"
        empty.show_empty_image_orthographic = True
        empty.show_empty_image_perspective = False
        empty.show_empty_image_only_axis_aligned = True
        empty.use_empty_image_alpha = True
        empty.color = (1.0, 1.0, 1.0, REFERENCE_OPACITY)
        empty.hide_render = True
        empty["recon_size"] = size
        empty["recon_metres_per_pixel"] = k
        empty["recon_role"] = "reference"
        empty["recon_view"] = "front" if reference == "front-structure" else "camera"
        coll.objects.link(empty)

        if load_images:
            for kind in IMAGE_KINDS:
                if kind in outcome.files and kind != reference:
                    img = _load_image(outcome.files[kind], "%s %s" % (name, kind), uid, pack=outcome.fetched,
                                      non_color=kind in NON_COLOR, fake_user=True)
                    created.append(img)

        # Beside the earlier results (or where the replaced one was).
        old = owned_collection(name)
        new_objects = [o for o in (empty, mesh_obj) if o is not None]
        front = placement.union([_front_box(o) for o in new_objects])
        offset = _offset_for(old, scene, view_layer, front, set(new_objects))
        for obj in new_objects:
            obj.location.x += offset

        props = {
            "recon_source": os.path.abspath(outcome.photo),
            "recon_job": outcome.job_id,
            "recon_verdict": outcome.verdict or "",
            "recon_warnings": json.dumps(warnings),
            "recon_dir": (outcome.summary or {}).get("dir", ""),
            "recon_offset": (offset, 0.0, 0.0),
        }
    except BaseException as e:
        for id_ in reversed(created):
            _remove_id(id_)
        if isinstance(e, ReconError):
            raise
        if isinstance(e, GlbError):
            raise ReconError("face.glb could not be read: %s" % e, errors.SCENE_BUILD_FAILED,
                             "The job folder may be damaged; reconstruct again.")
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        raise ReconError("building the scene failed: %s" % e, errors.SCENE_BUILD_FAILED,
                         "This is a bug in the add-on; the scene was left as it was.")

    # Commit. Replacing keeps the collection itself (its place in the Outliner, its visibility in every view
    # layer, its colour tag, what the user added to it) and swaps the add-on's objects inside it.
    if old is not None:
        old_uid = old[TAG]
        by_role = {o.get("recon_role"): o for o in old.objects if o.get(TAG) == old_uid}
        for obj in new_objects:
            prev = by_role.get(obj.get("recon_role"))
            if prev is not None:
                _carry_visibility(prev, obj, view_layer)
        _remove_contents(old_uid)
        for obj in new_objects:
            coll.objects.unlink(obj)
            old.objects.link(obj)
        _remove_id(coll)
        coll = old
        coll[TAG] = uid
        if not _in_scene(coll, scene):
            scene.collection.children.link(coll)
    else:
        coll.name = name
        scene.collection.children.link(coll)
    for key, value in props.items():
        coll[key] = value
    for id_ in created:
        if id_ is coll or not isinstance(id_, bpy.types.ID):
            continue
        try:
            final = id_.name.rsplit(".", 1)[0] if _suffixed(id_.name) else id_.name
        except ReferenceError:  # the building collection, removed above
            continue
        if final != id_.name and final.startswith(name):
            id_.name = final
    if mesh_obj is not None:
        mesh_obj.data.name = mesh_obj.name
    try:
        # So matrix_world is valid for scripts reading the objects right away.
        view_layer.update()
    except (AttributeError, RuntimeError):
        pass
    selected = _select_new(new_objects, mesh_obj or empty, view_layer) if select else False
    images = [i.name for i in created if _alive(i) and isinstance(i, bpy.types.Image)]
    names = [empty.name] + ([mesh_obj.name] if mesh_obj is not None else [])
    return ReconResult(names, coll.name, images, outcome.job_id, outcome.verdict, warnings, dict(outcome.files),
                       offset=offset, selected=selected)


def _alive(id_):
    try:
        id_.name
        return True
    except ReferenceError:
        return False


def _suffixed(n):
    head, dot, tail = n.rpartition(".")
    return bool(dot) and len(tail) == 3 and tail.isdigit()
