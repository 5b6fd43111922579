# Building the scene for one finished job — shared by the sidebar button (applied on the main thread by the
# timer in runtime.py) and by recon_bridge.api.reconstruct. Everything is created through the data API
# (bpy.data.*.new), so it works in background mode, from timers, and across Blender versions.
#
# What it builds, in a collection named after the photo:
#   "<name> reference"  an image empty (Blender's reference image) showing structure.png, facing the front view,
#                       S·k metres wide, drawn behind geometry, half transparent, in orthographic views only;
#   "<name> face"       the head mesh from face.glb, aligned with it (mesh space → Blender: (x, y, z) → (x, −z, y));
#   images "<name> crop|depth|normal|mask" (fake user, so they are saved with the file).
#
# The build is a transaction: everything is created first in an unlinked collection; any failure removes what
# was created and the scene is untouched. Only then is the previous collection of the same name (if we made
# it) removed and the new one linked, so "reconstruct the same photo again" replaces instead of duplicating.
import json
import os

import bpy

from .core import errors, frames, results
from .core.errors import ReconError
from .core.glb import GlbError, read_mesh

#: Custom property on every ID we create; its value is the build's id (the daemon's job id).
TAG = "recon_bridge"

NON_COLOR = ("depth", "normal", "mask")


class ReconResult(list):
    """The created objects' names (a list, reference first), plus what else was built."""

    def __init__(self, names, collection, images, job_id, verdict, warnings, files):
        super().__init__(names)
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
    owned_objects = [o for o in bpy.data.objects if o.get(TAG) == uid]
    data_ids = []
    for obj in owned_objects:
        if obj.data is not None and getattr(obj.data, "get", None) and obj.data.get(TAG) == uid:
            data_ids.append(obj.data)
    for obj in owned_objects:
        _remove_id(obj)
    for id_ in data_ids:
        if id_.users == 0:
            _remove_id(id_)
    for mat in [m for m in bpy.data.materials if m.get(TAG) == uid]:
        if mat.users == 0:
            _remove_id(mat)
    for img in [i for i in bpy.data.images if i.get(TAG) == uid]:
        if img.users <= (1 if img.use_fake_user else 0):
            _remove_id(img)
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


# ---------------------------------------------------------------------------------------------------------
# The build


def build_scene(outcome, name=None, import_mesh=True, load_images=True, mesh_importer="BUILTIN", scene=None,
                context=None):
    """Build (or replace) the collection for a finished job; returns a ReconResult (object names).

    ``outcome`` is a core.jobs.JobOutcome. Raises ReconError(SCENE_BUILD_FAILED) and leaves nothing behind if
    Blender refuses anything."""
    context = context or bpy.context
    scene = scene or context.scene
    name = name or collection_name_for(outcome.photo)
    uid = outcome.job_id
    created = []
    warnings = list(outcome.warnings)
    try:
        coll = _tag(bpy.data.collections.new(name + " (building)"), uid)
        created.append(coll)

        size = outcome.size
        k = results.scale(outcome.result)
        struct = _load_image(outcome.files["structure"], name + " structure", uid, pack=outcome.fetched)
        created.append(struct)

        mesh_obj = None
        if import_mesh and "glb" in outcome.files:
            if mesh_importer == "GLTF":
                try:
                    mesh_obj = _build_mesh_gltf(outcome.files["glb"], name + " face", uid, created, context)
                except Exception as e:  # the importer is optional: fall back, say so
                    for id_ in reversed([i for i in created if i is not coll and i is not struct]):
                        _remove_id(id_)
                    created[:] = [coll, struct]
                    warnings.append({"code": "GLTF_IMPORTER_FAILED", "severity": "warn",
                                     "message": "Blender's glTF importer failed (%s); used the built-in reader" % str(e).splitlines()[-1][:120],
                                     "hint": "Set Mesh import to Built-in in the add-on preferences."})
                    mesh_obj = None
            if mesh_obj is None:
                mesh_obj = _build_mesh_builtin(outcome.files["glb"], name + " face", uid, created)
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
        empty.color = (1.0, 1.0, 1.0, 0.5)
        empty.hide_render = True
        empty["recon_size"] = size
        empty["recon_metres_per_pixel"] = k
        coll.objects.link(empty)

        if load_images:
            for kind in ("crop", "depth", "normal", "mask"):
                if kind in outcome.files:
                    img = _load_image(outcome.files[kind], "%s %s" % (name, kind), uid, pack=outcome.fetched,
                                      non_color=kind in NON_COLOR, fake_user=True)
                    created.append(img)

        coll["recon_source"] = os.path.abspath(outcome.photo)
        coll["recon_job"] = outcome.job_id
        coll["recon_verdict"] = outcome.verdict or ""
        coll["recon_warnings"] = json.dumps(warnings)
        coll["recon_dir"] = (outcome.summary or {}).get("dir", "")
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

    # Commit: replace the old collection (only one we built), in the same place in the hierarchy, then give
    # everything its final name.
    old = owned_collection(name)
    parents = [scene.collection]
    if old is not None:
        parents = [c for c in [scene.collection, *bpy.data.collections] if c != old and old.name in c.children] or parents
    remove_collection(name, scene)
    coll.name = name
    for id_ in created:
        if id_ is coll:
            continue
        final = id_.name.rsplit(".", 1)[0] if _suffixed(id_.name) else id_.name
        if final != id_.name and final.startswith(name):
            id_.name = final
    if mesh_obj is not None:
        mesh_obj.data.name = mesh_obj.name
    for parent in parents:
        parent.children.link(coll)
    try:
        # So matrix_world is valid for scripts reading the objects right away.
        context.view_layer.update()
    except (AttributeError, RuntimeError):
        pass
    images = [i.name for i in created if isinstance(i, bpy.types.Image)]
    names = [empty.name] + ([mesh_obj.name] if mesh_obj is not None else [])
    return ReconResult(names, coll.name, images, outcome.job_id, outcome.verdict, warnings, dict(outcome.files))


def _suffixed(n):
    head, dot, tail = n.rpartition(".")
    return bool(dot) and len(tail) == 3 and tail.isdigit()
