"""Runs inside real Blender, headless (`blender -b --factory-startup --python-exit-code 1 --python this.py`),
driven by test/blender.test.ts. Installs the add-on from the built zip, exercises the scripting API, the
operators, the UI's background-thread path and the panels' drawing, and writes what it measured to a JSON
report that the vitest file asserts on. Any exception exits Blender with code 1.

Environment: RECON_TEST_ZIP, RECON_TEST_REPORT, RECON_TEST_PHOTO, RECON_TEST_TURNED, RECON_TEST_NOFACE, RECON_TEST_URL,
RECON_TEST_TOKEN, RECON_TEST_PLUGIN_COMMAND (and the daemon's HOME / XDG dirs, so discovery finds it)."""
import json
import math
import os
import socket
import sys
import threading
import time
import traceback

import addon_utils
import bpy
from mathutils import Vector

ZIP = os.environ["RECON_TEST_ZIP"]
REPORT = os.environ["RECON_TEST_REPORT"]
PHOTO = os.environ["RECON_TEST_PHOTO"]
PHOTO2 = os.environ["RECON_TEST_PHOTO2"]
TURNED = os.environ["RECON_TEST_TURNED"]
NOFACE = os.environ["RECON_TEST_NOFACE"]
URL = os.environ["RECON_TEST_URL"]
TOKEN = os.environ["RECON_TEST_TOKEN"]
PLUGIN_COMMAND = os.environ["RECON_TEST_PLUGIN_COMMAND"]

report = {"blender": bpy.app.version_string, "background": bpy.app.background}


def counts():
    return {k: len(getattr(bpy.data, k)) for k in ("objects", "collections", "meshes", "materials", "images")}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def error_info(e):
    return {"type": type(e).__name__, "code": getattr(e, "code", None), "message": getattr(e, "message", str(e)),
            "hint": getattr(e, "hint", None), "text": str(e)}


# ---------------------------------------------------------------------------------------------------------
# 1. Install from the zip (as a user would: Preferences ▸ Add-ons ▸ Install…) and enable.

bpy.ops.preferences.addon_install(filepath=ZIP, overwrite=True)
addon_utils.modules_refresh()
bpy.ops.preferences.addon_enable(module="recon_bridge")
import recon_bridge  # noqa: E402
import recon_bridge.api as api  # noqa: E402
from recon_bridge import runtime, scene as scene_mod  # noqa: E402
from recon_bridge.recon_client import frames, results  # noqa: E402

user_addons = bpy.utils.user_resource("SCRIPTS", path="addons")
report["install"] = {
    "enabled": "recon_bridge" in bpy.context.preferences.addons,
    "module_file": recon_bridge.__file__,
    "from_user_addons": os.path.realpath(recon_bridge.__file__).startswith(os.path.realpath(user_addons)),
    "bl_info_blender": list(recon_bridge.bl_info["blender"]),
    "prefs": type(bpy.context.preferences.addons["recon_bridge"].preferences).__name__,
}

report["registered"] = {
    "operator": hasattr(bpy.ops.recon, "reconstruct_from_photo") and bool(bpy.ops.recon.reconstruct_from_photo.get_rna_type()),
    "operator_idname": bpy.types.RECON_OT_reconstruct_from_photo.bl_idname,
    "operators": sorted(n for n in dir(bpy.types) if n.startswith("RECON_OT_")),
    "panel": hasattr(bpy.types, "VIEW3D_PT_recon"),
    "panel_category": bpy.types.VIEW3D_PT_recon.bl_category,
    "panel_space": [bpy.types.VIEW3D_PT_recon.bl_space_type, bpy.types.VIEW3D_PT_recon.bl_region_type],
    "panels": sorted(n for n in dir(bpy.types) if n.startswith("VIEW3D_PT_recon")),
    "add_menu": hasattr(bpy.types, "VIEW3D_MT_recon_add"),
    "add_menu_hooked": any(getattr(f, "__name__", "") == "draw_add_menu" for f in getattr(bpy.types.VIEW3D_MT_add.draw, "_draw_funcs", [])),
    "commands_menu": hasattr(bpy.types, "VIEW3D_MT_recon_commands"),
    "file_filter": [bpy.ops.recon.reconstruct_from_photo.get_rna_type().properties[p].default for p in ("filter_image", "filter_folder")],
    "scene_options": hasattr(bpy.context.scene, "recon_options"),
}

base_counts = counts()

# ---------------------------------------------------------------------------------------------------------
# 2. The scripting API on a portrait.

progress = []
t0 = time.monotonic()
names = api.reconstruct(PHOTO, on_progress=lambda s, f: progress.append([s, f]))
elapsed = time.monotonic() - t0
coll = bpy.data.collections[names.collection]
empty = bpy.data.objects[names[0]]
mesh = bpy.data.objects[names[1]]
img = empty.data
S = int(empty["recon_size"])
k = float(empty["recon_metres_per_pixel"])
mw = empty.matrix_world
normal = (mw.to_3x3() @ Vector((0, 0, 1))).normalized()
up = (mw.to_3x3() @ Vector((0, 1, 0))).normalized()
right = (mw.to_3x3() @ Vector((1, 0, 0))).normalized()
D = empty.empty_display_size
inv = mw.inverted()


def to_image_px(world):
    """A world point projected onto the reference image, in its pixels (u right, v down, from the top-left)."""
    local = inv @ world
    return ((local.x / D + 0.5) * img.size[0], (0.5 - local.y / D) * img.size[1])


# The structure map as Blender loaded it (rows bottom-up in .pixels).
W, H = img.size
px = list(img.pixels)


def structure_at(u, v):
    i, j = int(min(max(u, 0), W - 1)), int(min(max(v, 0), H - 1))
    return px[((H - 1 - j) * W + i) * 4]


verts = [mesh.matrix_world @ v.co for v in mesh.data.vertices]
uv_all = [to_image_px(p) for p in verts]
inside = sum(1 for u, v in uv_all if 0 <= u <= W and 0 <= v <= H)
on_face = sum(1 for u, v in uv_all if max(structure_at(u + du, v + dv) for du in (-1, 0, 1) for dv in (-1, 0, 1)) > 0)
result_json = json.load(open(os.path.join(coll["recon_dir"], "result.json")))
nose_crop = results.landmark_front(result_json, 1)  # the front view (the default): the head frame
nose_img = to_image_px(verts[1])
nose_err_px = math.hypot(nose_img[0] - nose_crop[0], nose_img[1] - nose_crop[1])
# The GLB's eye centres are in mesh space: through the object's transform (its slot's offset) to the world.
eye_l, eye_r = [mesh.matrix_world @ Vector(frames.gltf_to_blender(tuple(e))) for e in mesh["eyeCentres"]]
corners = [verts[i] for i in (33, 133, 362, 263)]
pupil_img = [to_image_px(eye_l), to_image_px(eye_r)]
ys = [p.y for p in verts]

report["api"] = {
    "names": list(names),
    "collection": names.collection,
    "images": names.images,
    "verdict": names.verdict,
    "warnings": names.warnings,
    "elapsed": elapsed,
    "progress": progress,
    "collection_linked": names.collection in bpy.context.scene.collection.children,
    "collection_objects": sorted(o.name for o in coll.objects),
    "reference": {
        "type": empty.type,
        "display_type": empty.empty_display_type,
        "image_size": list(img.size),
        "image_name": img.name,
        "display_size": D,
        "S_times_k": S * k,
        "S": S,
        "k": k,
        "offset": list(empty.empty_image_offset),
        "normal": list(normal),
        "up": list(up),
        "right": list(right),
        "depth": empty.empty_image_depth,
        "side": empty.empty_image_side,
        "ortho": empty.show_empty_image_orthographic,
        "persp": empty.show_empty_image_perspective,
        "axis_aligned_only": empty.show_empty_image_only_axis_aligned,
        "use_alpha": empty.use_empty_image_alpha,
        "alpha": empty.color[3],
        "location": list(empty.location),
        "behind_mesh": empty.location.y >= max(ys),
    },
    "mesh": {
        "type": mesh.type,
        "vertices": len(mesh.data.vertices),
        "polygons": len(mesh.data.polygons),
        "materials": [m.name for m in mesh.data.materials],
        "textured": any(n.type == "TEX_IMAGE" and n.image is not None for n in mesh.data.materials[0].node_tree.nodes),
        "ipd": (eye_r - eye_l).length,
        "eye_corner_ipd": (((corners[2] + corners[3]) / 2) - ((corners[0] + corners[1]) / 2)).length,
        "subject_left_eye_x": verts[263].x,
        "nose_y": verts[1].y,
        "min_y": min(ys),
        "max_y": max(ys),
        "height": max(p.z for p in verts) - min(p.z for p in verts),
        "location": list(mesh.location),
        # Translucent in Solid shading (the material's viewport colour), opaque in Material Preview (node tree).
        "solid_alpha": mesh.data.materials[0].diffuse_color[3],
        "blend_method": mesh.data.materials[0].blend_method,
        "role": mesh.get("recon_role"),
    },
    # The default cube spans x = −1…1 m: the face goes beside it, in the first free 0.3 m slot (x = 1.2 m).
    "offset": names.offset,
    "collection_offset": list(coll["recon_offset"]),
    "reference_x": empty.location.x,
    "cube_box_x": [min((bpy.data.objects["Cube"].matrix_world @ Vector(c)).x for c in bpy.data.objects["Cube"].bound_box),
                   max((bpy.data.objects["Cube"].matrix_world @ Vector(c)).x for c in bpy.data.objects["Cube"].bound_box)],
    "mesh_x_range": [min(p.x for p in verts), max(p.x for p in verts)],
    # Selected and active, as an importer leaves them.
    "selected": sorted(o.name for o in bpy.context.view_layer.objects if o.select_get()),
    "active": bpy.context.view_layer.objects.active.name if bpy.context.view_layer.objects.active else None,
    "alignment": {
        "vertices_inside_image": inside / len(verts),
        "vertices_on_face_pixels": on_face / len(verts),
        "nose_image_px": list(nose_img),
        "nose_result_crop_px": list(nose_crop),
        "nose_error_mm": nose_err_px * k * 1000,
        "pupils_image_px": [list(p) for p in pupil_img],
        "view": empty.get("recon_view"),
        "mesh_view": mesh.get("view"),
        "nose_structure_value": structure_at(*nose_img),
        "corner_structure_value": structure_at(2, 2),
    },
    "extra_images": {n: {"colorspace": bpy.data.images[n].colorspace_settings.name, "fake_user": bpy.data.images[n].use_fake_user,
                         "size": list(bpy.data.images[n].size), "packed": bpy.data.images[n].packed_file is not None}
                     for n in names.images},
}
after_first = counts()
objs_first = sorted(o.name for o in bpy.data.objects)

# ---------------------------------------------------------------------------------------------------------
# 3. The same photo again replaces the collection; bytes transfer + result.read gives the same scene, packed.

# The user filed the collection under one of theirs (between two others), hid it in the view layer, gave it a
# colour tag and added an object of their own to it; then reconstructs the photo again.
refs = bpy.data.collections.new("Refs")
bpy.context.scene.collection.children.link(refs)
before_c = bpy.data.collections.new("A before")
after_c = bpy.data.collections.new("Z after")
refs.children.link(before_c)
refs.children.link(coll)
refs.children.link(after_c)
bpy.context.scene.collection.children.unlink(coll)


def layer_coll(c, lc=None):
    lc = lc or bpy.context.view_layer.layer_collection
    if lc.collection == c:
        return lc
    for child in lc.children:
        found = layer_coll(c, child)
        if found:
            return found
    return None


layer_coll(coll).hide_viewport = True
coll.color_tag = "COLOR_04"
coll.hide_render = True
note = bpy.data.objects.new("user note", None)
coll.objects.link(note)
coll_ptr = coll.as_pointer()
mesh.hide_select = True  # and made the face unselectable
names2 = api.reconstruct(PHOTO, transfer="data")
coll2 = bpy.data.collections[names2.collection]
mesh2 = bpy.data.objects[names2[1]]
report["replace_user_edits"] = {
    "same_collection": coll2.as_pointer() == coll_ptr,
    "order": [c.name for c in refs.children],
    "in_scene_root": names2.collection in bpy.context.scene.collection.children,
    "hidden_in_view_layer": layer_coll(coll2).hide_viewport,
    "color_tag": coll2.color_tag,
    "hide_render": coll2.hide_render,
    "note_kept_in_collection": "user note" in coll2.objects,
    "face_unselectable": mesh2.hide_select,
    "objects": sorted(o.name for o in coll2.objects),
    "offset_kept": abs(coll2["recon_offset"][0] - names.offset) < 1e-9,
}
bpy.data.objects.remove(note)
refs.children.unlink(coll2)
bpy.context.scene.collection.children.link(coll2)
layer_coll(coll2).hide_viewport = False
coll2.hide_render = False
mesh2.hide_select = False
for c in (before_c, after_c, refs):
    bpy.data.collections.remove(c)
report["replace"] = {
    "names": list(names2),
    "counts_before": after_first,
    "counts_after": counts(),  # measured after undoing the user's edits above
    "objects_before": objs_first,
    "objects_after": sorted(o.name for o in bpy.data.objects),
    "collections_named": sum(1 for c in bpy.data.collections if c.name.startswith(names.collection)),
    "job_changed": bpy.data.collections[names2.collection]["recon_job"] != names.job_id,
    "structure_packed": bpy.data.objects[names2[0]].data.packed_file is not None,
    "images_packed": all(bpy.data.images[n].packed_file is not None for n in names2.images),
    "same_vertices": len(mesh2.data.vertices) == report["api"]["mesh"]["vertices"],
    "max_vertex_delta": max((mesh2.matrix_world @ v.co - verts[i]).length for i, v in enumerate(mesh2.data.vertices)),
}

# A second photo goes beside the first, never into it.
second = api.reconstruct(PHOTO2, name="second photo", load_images=False)
m1 = bpy.data.objects[names2[1]]
m2 = bpy.data.objects[second[1]]
xs1 = [(m1.matrix_world @ v.co).x for v in m1.data.vertices]
xs2 = [(m2.matrix_world @ v.co).x for v in m2.data.vertices]
report["beside"] = {
    "offsets": [names.offset, second.offset],
    "first_x": [min(xs1), max(xs1)],
    "second_x": [min(xs2), max(xs2)],
    "selected": sorted(o.name for o in bpy.context.view_layer.objects if o.select_get()),
    "active": bpy.context.view_layer.objects.active.name,
}
api.remove("second photo")

# ---------------------------------------------------------------------------------------------------------
# 4. Failures leave nothing behind.

before = counts()
try:
    api.reconstruct(NOFACE)
    report["no_face"] = {"raised": False}
except api.ReconError as e:
    report["no_face"] = {"raised": True, **error_info(e), "counts_before": before, "counts_after": counts()}

before = counts()
try:
    bpy.ops.recon.reconstruct_from_photo(filepath=NOFACE)
    report["no_face_operator"] = {"raised": False}
except RuntimeError as e:  # bpy.ops turns an operator's ERROR report into RuntimeError
    report["no_face_operator"] = {"raised": True, "text": str(e), "counts_before": before, "counts_after": counts()}

before = counts()
cancel = threading.Event()
try:
    api.reconstruct(PHOTO, name="cancelled photo", on_progress=lambda s, f: cancel.set(), cancel_event=cancel)
    report["cancel"] = {"raised": False}
except api.ReconError as e:
    report["cancel"] = {"raised": True, **error_info(e), "counts_before": before, "counts_after": counts(),
                        "collection": "cancelled photo" in bpy.data.collections}

before = counts()
t0 = time.monotonic()
try:
    api.reconstruct(PHOTO, url="ws://127.0.0.1:%d/" % free_port(), token=TOKEN)
    report["not_running"] = {"raised": False}
except api.ReconError as e:
    report["not_running"] = {"raised": True, **error_info(e), "elapsed": time.monotonic() - t0, "counts_before": before, "counts_after": counts()}

try:
    api.reconstruct(PHOTO, size=2000)
    report["bad_option"] = {"raised": False}
except api.ReconError as e:
    report["bad_option"] = {"raised": True, **error_info(e)}

# Explicit URL and token instead of discovery.
names3 = api.reconstruct(PHOTO, url=URL, token=TOKEN, name="explicit endpoint", load_images=False, size=128)
report["explicit"] = {"names": list(names3), "images": names3.images,
                      "display_size": bpy.data.objects[names3[0]].empty_display_size,
                      "image_size": list(bpy.data.objects[names3[0]].data.size)}
api.remove("explicit endpoint")
report["explicit"]["removed"] = "explicit endpoint" not in bpy.data.collections and names3[0] not in bpy.data.objects

# ---------------------------------------------------------------------------------------------------------
# 5. Blender's own glTF importer agrees with the built-in reader (same frame mapping: (x, y, z) → (x, −z, y)).

try:
    import numpy

    if not hasattr(numpy, "bool"):
        # Debian's Blender 3.4.1 importer uses np.bool, removed in numpy 1.24: a test-only shim.
        numpy.bool = bool
    g = api.reconstruct(PHOTO, name="gltf importer", mesh_importer="GLTF", load_images=False)
    gm = bpy.data.objects[g[1]]
    gv = [gm.matrix_world @ v.co for v in gm.data.vertices]
    report["gltf"] = {
        "names": list(g),
        "warnings": g.warnings,
        "vertices": len(gv),
        # Each result sits in its own slot: compare in the result's own frame (minus its X offset).
        "max_delta": max((a - Vector((g.offset, 0, 0)) - (b - Vector((names.offset, 0, 0)))).length
                         for a, b in zip(gv, verts)) if len(gv) == len(verts) else None,
        "extras_ipd": gm.get("interPupillaryDistance"),
    }
    api.remove("gltf importer")
except Exception as e:
    report["gltf"] = {"error": traceback.format_exc()}

# ---------------------------------------------------------------------------------------------------------
# 6. The UI path, driven by hand: background threads + the main-thread pump (bpy.app.timers do not fire in
#    background mode, so the test calls the same pump the timer calls).


def pump_until(job, timeout=60):
    end = time.monotonic() + timeout
    calls, slowest = 0, 0.0
    while not job.finished.is_set() and time.monotonic() < end:
        t = time.monotonic()
        runtime.pump()
        slowest = max(slowest, time.monotonic() - t)
        calls += 1
        time.sleep(0.02)
    return calls, slowest


link = runtime.ensure_link()
t0 = time.monotonic()
while link.state != "CONNECTED" and time.monotonic() - t0 < 15:
    runtime.pump()
    time.sleep(0.05)
ui = {"link_state": link.state, "link_url": link.url}
t0 = time.monotonic()
job = runtime.start_job(PHOTO, {"size": 256}, {"name": "ui photo"})
ui["start_job_seconds"] = time.monotonic() - t0
calls, slowest = pump_until(job)
ui.update({
    "status": job.status, "pump_calls": calls, "stage": job.stage, "fraction": job.fraction,
    "result": list(job.result or []), "collection": "ui photo" in bpy.data.collections,
    "report": list(job.report()),
})
# Progress and the panel while a job runs: drawn with a recording layout.


class FakeProps(object):
    pass


class FakeLayout(object):
    """Records drawing calls and checks that every property, operator and menu named exists."""

    def __init__(self, log, boxes=0):
        object.__setattr__(self, "_log", log)
        object.__setattr__(self, "_boxes", boxes)

    def __setattr__(self, name, value):
        # scale_y, alert, use_property_split, operator_context… are drawing details; a greyed-out part is noted.
        if name in ("active", "enabled") and not value:
            self._log.append(("inactive", name))

    def _child(self, *a, **k):
        return FakeLayout(self._log, self._boxes)

    row = column = split = grid_flow = column_flow = _child

    def box(self, *a, **k):
        return FakeLayout(self._log, self._boxes + 1)

    def label(self, text="", icon="NONE", **k):
        assert isinstance(text, str)
        self._log.append(("label", text, icon, self._boxes))

    def separator(self, **k):
        pass

    def prop(self, data, prop, **k):
        assert prop in data.bl_rna.properties, "no property %s" % prop
        self._log.append(("prop", prop, k.get("text")))

    def operator(self, idname, **k):
        mod, name = idname.split(".")
        getattr(getattr(bpy.ops, mod), name).get_rna_type()
        self._log.append(("operator", idname, k.get("text")))
        return FakeProps()

    def menu(self, idname, **k):
        assert hasattr(bpy.types, idname), "no menu %s" % idname
        self._log.append(("menu", idname))

    if bpy.app.version >= (4, 0, 0):
        def progress(self, factor=0.0, type="BAR", text=""):
            self._log.append(("progress", factor, text))


class Holder(object):
    """Stands in for the panel/menu/preferences instance: has a recording layout, delegates the rest."""

    def __init__(self, layout, target=None, cls=None):
        self.layout = layout
        self._target = target
        self._cls = cls

    def __getattr__(self, name):
        if self._target is not None:
            return getattr(self._target, name)
        value = getattr(self._cls, name)  # the panel's own helpers (draw_job…), bound to this stand-in
        return value.__get__(self, type(self)) if callable(value) and hasattr(value, "__get__") else value


class Region(object):
    def __init__(self, width):
        self.width = width


class SidebarContext(object):
    """bpy.context, as seen from a sidebar ``width`` pixels wide (the panels wrap text to the region's width)."""

    def __init__(self, width):
        self.region = Region(width)

    def __getattr__(self, name):
        return getattr(bpy.context, name)


WIDE = SidebarContext(4000)  # no wrapping: each text on one label, for the content checks


def draw(cls, context=WIDE, target=None):
    log = []
    holder = Holder(FakeLayout(log), target, cls)
    if getattr(cls, "poll", None) and not cls.poll(context):
        return None
    cls.draw(holder, context)
    return log


def wrapping(cls, width):
    """Draw at a sidebar width: every label's text as blf measures it against the width it may take there."""
    from recon_bridge.ui import text as ui_text

    ctx = SidebarContext(width)
    measure = ui_text.measure(ctx)
    lines = []
    for e in draw(cls, ctx) or []:
        if e[0] == "label":
            room = ui_text.text_width(ctx, icon=e[2] != "NONE", boxes=e[3])
            lines.append({"text": e[1], "width": measure(e[1]), "room": room, "fits": measure(e[1]) <= room})
    return lines


job2 = runtime.start_job(PHOTO, {}, {"name": "ui cancelled"})
job2.fraction, job2.stage = 0.4, "landmarks"
running_panel = draw(bpy.types.VIEW3D_PT_recon)
runtime.cancel_job()
before_cancel_pump = counts()
pump_until(job2)
ui["cancel"] = {"status": job2.status, "collection": "ui cancelled" in bpy.data.collections,
                "counts_before": before_cancel_pump, "counts_after": counts(), "report": list(job2.report())}
job3 = runtime.start_job(NOFACE, {}, {"name": "ui no face"})
pump_until(job3)
ui["no_face"] = {"status": job3.status, "code": job3.error.code if job3.error else None,
                 "report": list(job3.report()), "collection": "ui no face" in bpy.data.collections}
failed_panel = draw(bpy.types.VIEW3D_PT_recon_result)
# At the default sidebar width (229 px at UI scale 1) the same text is laid out in lines that fit.
failed_wrapped = wrapping(bpy.types.VIEW3D_PT_recon_result, 229)
runtime.state.last = job
completed_panel = draw(bpy.types.VIEW3D_PT_recon_result)
ui["panels"] = {
    "running": running_panel,
    "failed_wrapped": failed_wrapped,
    "failed": failed_panel,
    "completed": completed_panel,
    "main_idle": draw(bpy.types.VIEW3D_PT_recon),
    "options": draw(bpy.types.VIEW3D_PT_recon_options),
    "commands": draw(bpy.types.VIEW3D_PT_recon_commands),
    "add_menu": draw(bpy.types.VIEW3D_MT_recon_add),
    "prefs": draw(type(bpy.context.preferences.addons["recon_bridge"].preferences), target=bpy.context.preferences.addons["recon_bridge"].preferences),
}
ui["commands"] = runtime.commands()
report["ui"] = ui

# ---------------------------------------------------------------------------------------------------------
# 5b. A turned photo: the front reference and the head-frame mesh line up. Every feature is measured on the maps
#     the daemon wrote and on the mesh Blender built, in the reference image's pixels (S = 256).

t = api.reconstruct(TURNED, outputs=["front-depth", "front-mask", "glb"], load_images=True)
t_empty = bpy.data.objects[t[0]]
t_mesh = bpy.data.objects[t[1]]
t_result = json.load(open(os.path.join(bpy.data.collections[t.collection]["recon_dir"], "result.json")))
t_img = t_empty.data
tW, tH = t_img.size
t_inv = t_empty.matrix_world.inverted()
tD = t_empty.empty_display_size


def t_px(world):
    local = t_inv @ world
    return ((local.x / tD + 0.5) * tW, (0.5 - local.y / tD) * tH)


def image_values(name):
    im = bpy.data.images[name]
    w, h = im.size
    p = list(im.pixels)
    # Rows bottom-up in .pixels; return a function of (u, v) in image pixels (top-down) → first channel.
    return lambda i, j: p[((h - 1 - min(max(int(j), 0), h - 1)) * w + min(max(int(i), 0), w - 1)) * 4]


depth_at = image_values(t.collection + " front-depth")
mask_at = image_values(t.collection + " front-mask")
t_verts = [t_mesh.matrix_world @ v.co for v in t_mesh.data.vertices]
t_uv = [t_px(p) for p in t_verts]
# The nose: the map's nearest point (front-depth's maximum) against the mesh's nose tip (vertex 1) and the
# vertex nearest the viewer (the map's own maximum is on the surface, not necessarily on a landmark).
best = max(((depth_at(i, j), i, j) for j in range(tH) for i in range(tW)))
nearest = min(range(len(t_verts)), key=lambda i: t_verts[i].y)
corner = lambda a, b: t_px((t_verts[a] + t_verts[b]) / 2)  # noqa: E731
midline = [1, 4, 6, 8, 9, 10, 13, 14, 17, 151, 152, 164, 168, 175, 195, 197, 199, 200]
report["turned"] = {
    "names": list(t),
    "reference_image": t_img.name,
    "view": t_empty.get("recon_view"),
    "mesh_view": t_mesh.get("view"),
    "pose": t_result["faces"][t_result["reconstructedFace"]]["pose"],
    "S": int(t_empty["recon_size"]),
    "depth_max_px": [best[1] + 0.5, best[2] + 0.5],
    "nearest_vertex_px": list(t_uv[nearest]),
    "nose_tip_px": list(t_uv[1]),
    "eye_centres_px": [list(corner(33, 133)), list(corner(362, 263))],
    # Midline landmarks: the head frame's transform of the engine's points (result.json) against the mesh.
    "midline_errors_px": [math.hypot(t_uv[i][0] - results.landmark_front(t_result, i)[0], t_uv[i][1] - results.landmark_front(t_result, i)[1]) for i in midline],
    "vertices_on_mask": sum(1 for u, v in t_uv if max(mask_at(u + du, v + dv) for du in (-1, 0, 1) for dv in (-1, 0, 1)) > 0) / len(t_uv),
    "mask_pixels_under_mesh": None,
    "normal_map_linked": any(n.type == "NORMAL_MAP" and n.outputs["Normal"].is_linked for n in t_mesh.data.materials[0].node_tree.nodes),
}
# And the other way: every pixel the mask covers fully has a mesh triangle over it (the outline matches).
covered = 0
full = 0
tri_px = []
for poly in t_mesh.data.polygons:
    tri_px.append([t_uv[i] for i in poly.vertices])
grid = {}
for k_, tri in enumerate(tri_px):
    xs = [p[0] for p in tri]
    ys = [p[1] for p in tri]
    for gx in range(int(min(xs)) // 8, int(max(xs)) // 8 + 1):
        for gy in range(int(min(ys)) // 8, int(max(ys)) // 8 + 1):
            grid.setdefault((gx, gy), []).append(k_)


def inside_tri(x, y, tri):
    (ax, ay), (bx, by), (cx, cy) = tri[:3]
    d1 = (bx - ax) * (y - ay) - (by - ay) * (x - ax)
    d2 = (cx - bx) * (y - by) - (cy - by) * (x - bx)
    d3 = (ax - cx) * (y - cy) - (ay - cy) * (x - cx)
    return (d1 >= 0 and d2 >= 0 and d3 >= 0) or (d1 <= 0 and d2 <= 0 and d3 <= 0)


for j in range(0, tH, 2):
    for i in range(0, tW, 2):
        if mask_at(i, j) < 0.999:
            continue
        full += 1
        x, y = i + 0.5, j + 0.5
        if any(inside_tri(x, y, tri_px[k_]) for k_ in grid.get((int(x) // 8, int(y) // 8), [])):
            covered += 1
report["turned"]["mask_pixels_under_mesh"] = covered / max(1, full)
api.remove(t.collection)

# ---------------------------------------------------------------------------------------------------------
# 7. Operators in background mode run synchronously: the photo again (replaces), and a plugin command.

bpy.context.scene.recon_options.size = 256
r = bpy.ops.recon.reconstruct_from_photo(filepath=PHOTO)
report["operator"] = {"result": sorted(r), "collections_named": sum(1 for c in bpy.data.collections if c.name.startswith(names.collection))}
r = bpy.ops.recon.run_command(command=PLUGIN_COMMAND)
report["plugin"] = {"operator": sorted(r), "listed": api.list_commands(), "value": api.execute_command(PLUGIN_COMMAND, "from blender")}
# Its window.showMessage is broadcast to every client, the UI's link included; the pump shows it in the panel.
t0 = time.monotonic()
while not runtime.state.messages and time.monotonic() - t0 < 5:
    runtime.pump()
    time.sleep(0.05)
report["plugin"]["messages"] = [[level, text] for _t, level, text, _source in runtime.state.messages]
report["plugin"]["panel"] = draw(bpy.types.VIEW3D_PT_recon_result)

# "recon-daemon is stopping" is shown while connected to it, and goes with the connection.
runtime._notification("daemon.shuttingDown", {"reason": "test"})
stopping_before = [text for _t, _level, text, _source in runtime.state.messages]
runtime.state.link.stop()
runtime._events.put(("redraw",))
runtime.pump()
report["stopping_note"] = {"before": stopping_before,
                           "after": [text for _t, _level, text, _source in runtime.state.messages]}

# ---------------------------------------------------------------------------------------------------------
# 8. Disabling unregisters everything and stops the threads.

bpy.ops.preferences.addon_disable(module="recon_bridge")
time.sleep(0.2)
report["disabled"] = {
    "operator": hasattr(bpy.types, "RECON_OT_reconstruct_from_photo"),
    "panel": hasattr(bpy.types, "VIEW3D_PT_recon"),
    "scene_options": hasattr(bpy.types.Scene, "recon_options"),
    "threads": sorted(t.name for t in threading.enumerate() if t.name.startswith("recon")),
    "timer": bpy.app.timers.is_registered(runtime.pump),
}

with open(REPORT, "w") as f:
    json.dump(report, f, indent=1, default=str)
print("blender_scene.py: report written to", REPORT)
