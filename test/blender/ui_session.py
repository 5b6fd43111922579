"""The first minute with the add-on, in a real Blender UI session (under Xvfb, software OpenGL), driven by
test/blender.test.ts:

    xvfb-run -a -s "-screen 0 1280x720x24" blender --factory-startup --enable-event-simulate --python ui_session.py

A fresh factory scene (the default cube, camera and light stay), the sidebar opened and switched to the Face
Recon tab by simulated clicks, then what a new user does: the button's operator on a portrait (Size 1024) and on
a second photo, a photo that gives a warning, a turned face (two long warnings), the file browser, Cancel, a photo without a face,
and the daemon gone. Unlike background mode, timers fire and operators are modal, so this is the add-on exactly
as a click runs it. After each step it records what the scene, the view and the panel show; screenshots are
taken after forcing a redraw, and the sidebar's pixels are searched for cut labels ("…" that the add-on did
not draw itself, see pixels.py).

Environment: RECON_TEST_ZIP, RECON_TEST_REPORT, RECON_TEST_SHOTS (folder), RECON_TEST_PHOTO, RECON_TEST_PHOTO2,
RECON_TEST_WARN_PHOTO, RECON_TEST_TURNED_PHOTO, RECON_TEST_NOFACE.
"""
import json
import os
import socket
import sys
import time
import traceback

import bpy
from bpy_extras.view3d_utils import location_3d_to_region_2d
from mathutils import Quaternion, Vector

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pixels  # noqa: E402

ZIP = os.environ["RECON_TEST_ZIP"]
REPORT = os.environ["RECON_TEST_REPORT"]
SHOTS = os.environ["RECON_TEST_SHOTS"]
PHOTO = os.environ["RECON_TEST_PHOTO"]
PHOTO2 = os.environ["RECON_TEST_PHOTO2"]
WARN_PHOTO = os.environ["RECON_TEST_WARN_PHOTO"]
TURNED_PHOTO = os.environ["RECON_TEST_TURNED_PHOTO"]
NOFACE = os.environ["RECON_TEST_NOFACE"]

# No splash screen over the screenshots (read after --python scripts run).
bpy.context.preferences.view.show_splash = False

report = {"steps": [], "errors": [], "shots": {}, "labels": {}}
ticks = []
state = {"step": 0, "t": time.monotonic()}


def tick():
    ticks.append(time.monotonic())
    return 0.01


def stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def view3d():
    win = bpy.context.window_manager.windows[0]
    area = max((a for a in win.screen.areas if a.type == "VIEW_3D"), key=lambda a: a.width * a.height)
    region = next(r for r in area.regions if r.type == "WINDOW")
    sidebar = next(r for r in area.regions if r.type == "UI")
    return win, area, region, sidebar


def override(region=None):
    win, area, main, _ = view3d()
    return bpy.context.temp_override(window=win, area=area, region=region or main, screen=win.screen)


def counts():
    return {k: len(getattr(bpy.data, k)) for k in ("objects", "collections", "meshes", "materials", "images")}


def max_gap(t0, t1):
    ts = [t for t in ticks if t0 <= t <= t1]
    if len(ts) < 2:
        return None
    return max(b - a for a, b in zip(ts, ts[1:]))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# ---------------------------------------------------------------------------------------------------------
# What the panels draw: every text, recorded through a proxy of the real layout (the drawing itself is real).

drawn = {"t": 0.0, "texts": []}


class RecordingLayout(object):
    def __init__(self, real):
        object.__setattr__(self, "_real", real)

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            result = attr(*args, **kwargs)
            text = kwargs.get("text")
            if name == "label" and text is None and args:
                text = args[0]
            if text is None and name == "operator":
                idname = args[0] if args else kwargs.get("operator")
                mod, op = idname.split(".")
                text = getattr(getattr(bpy.ops, mod), op).get_rna_type().name
            if text is not None:
                drawn["texts"].append(text)
            if isinstance(result, bpy.types.UILayout):
                return RecordingLayout(result)
            return result

        return call

    def __setattr__(self, name, value):
        setattr(self._real, name, value)


class Holder(object):
    def __init__(self, panel):
        self.layout = RecordingLayout(panel.layout)
        self._panel = panel

    def __getattr__(self, name):
        value = getattr(type(self._panel), name)
        return value.__get__(self, type(self)) if callable(value) and hasattr(value, "__get__") else value


def record_panels():
    import recon_bridge.ui.panel as panel

    def recording(original):
        # Exactly (self, context): Blender passes a registered draw as many arguments as its code declares.
        def draw(self, context):
            drawn["t"] = time.monotonic()
            return original(Holder(self), context)

        return draw

    for cls in (panel.VIEW3D_PT_recon, panel.VIEW3D_PT_recon_options, panel.VIEW3D_PT_recon_commands,
                panel.VIEW3D_PT_recon_result):
        cls.draw = recording(cls.draw)


def shot(name, hide=()):
    """Redraw the window now and take a screenshot of the 3D View (with its sidebar); check the sidebar for cut
    labels. Returns the RGB pixels."""
    win, area, region, sidebar = view3d()
    hidden = []
    for obj in hide:
        obj.hide_set(True)
        hidden.append(obj)
    drawn["texts"] = []
    path = os.path.join(SHOTS, name)
    # Two overrides: in the same one, screenshot_area after redraw_timer captures a 1×1 image (Blender 3.4).
    with bpy.context.temp_override(window=win, screen=win.screen):
        bpy.ops.wm.redraw_timer(type="DRAW_WIN_SWAP", iterations=1)
    with override():
        bpy.ops.screen.screenshot_area(filepath=path)
    for obj in hidden:
        obj.hide_set(False)
    rgb = pixels.load(path)
    # The sidebar inside the area screenshot (rows top-down), without the tab strip at its right edge.
    h = rgb.shape[0]
    scale = bpy.context.preferences.system.ui_scale
    # The last 16 px are left out: a line only partly in view there looks cut by the region's edge, not by Blender.
    box = (sidebar.x - area.x, h - (sidebar.y - area.y + sidebar.height), sidebar.x - area.x + sidebar.width - int(24 * scale),
           h - (sidebar.y - area.y) - int(16 * scale))
    found = pixels.ellipses(rgb, box)
    intended = sum(t.count("…") for t in drawn["texts"])
    report["shots"][name] = path
    report["labels"][name] = {"ellipses": len(found), "intended": intended, "at": found, "texts": list(drawn["texts"]),
                              "sidebar_width": sidebar.width}
    return rgb


# ---------------------------------------------------------------------------------------------------------
# Steps (each runs in a timer on the main loop; returns the delay to the next call)


def step():
    try:
        return STEPS[state["step"]]()
    except Exception:
        report["errors"].append(traceback.format_exc())
        finish()
        return None


def advance(delay=0.1):
    state["step"] += 1
    state["t"] = time.monotonic()
    return delay


def timed_out(seconds, what):
    if time.monotonic() - state["t"] > seconds:
        raise RuntimeError("timed out: %s" % what)


def s_install():
    report["scene_before"] = sorted(o.name for o in bpy.data.objects)
    bpy.ops.preferences.addon_install(filepath=ZIP, overwrite=True)
    bpy.ops.preferences.addon_enable(module="recon_bridge")
    record_panels()
    from recon_bridge import runtime

    original_apply = runtime._apply

    def timed_apply(job, outcome):
        if state.get("want_progress_shot") and job is state.get("job"):
            # The pump is about to apply the job's completion, in the same turn as its last progress: on a
            # loaded machine the main loop can be slow enough for every event to arrive at once. Photograph
            # the progress as it stands now, before the completion is applied.
            progress_shot(job)
        t = time.monotonic()
        try:
            return original_apply(job, outcome)
        finally:
            report.setdefault("apply_seconds", []).append(time.monotonic() - t)

    runtime._apply = timed_apply
    win, area, region, sidebar = view3d()
    area.spaces[0].show_region_ui = True  # N: the sidebar
    report["steps"].append("installed")
    bpy.app.timers.register(tick, persistent=True)
    return advance(0.5)


def s_connected():
    from recon_bridge import runtime

    if runtime.state.link is not None and runtime.state.link.state == "CONNECTED":
        report["link"] = {"state": runtime.state.link.state, "url": runtime.state.link.url,
                          "seconds": time.monotonic() - state["t"]}
        return advance()
    timed_out(20, "the link did not connect: %r" % (runtime.connection(),))
    return 0.1


def s_tab():
    # Clicks down the sidebar's tab strip (Item, Tool, View, …), one per turn, until our panel has drawn.
    # Software GL makes a main-loop turn slow: wait a few timer ticks after each click before looking.
    win, area, region, sidebar = view3d()
    if state.get("ticks_at") is not None and len(ticks) - state["ticks_at"] < 4:
        return 0.1
    if drawn["t"] > state.get("sent_at", 0.0):
        report["tab"] = {"cycles": state.get("cycles", 0)}
        win.event_simulate(type="MOUSEMOVE", value="NOTHING", x=area.x + area.width // 3, y=area.y + area.height // 2)
        return advance(0.5)
    n = state["cycles"] = state.get("cycles", 0) + 1
    if n > 16:
        raise RuntimeError("the Face Recon tab never showed")
    x = sidebar.x + sidebar.width - 8
    y = sidebar.y + sidebar.height - 20 - 30 * (n - 1)
    win.event_simulate(type="MOUSEMOVE", value="NOTHING", x=x, y=y)
    win.event_simulate(type="LEFTMOUSE", value="PRESS", x=x, y=y)
    win.event_simulate(type="LEFTMOUSE", value="RELEASE", x=x, y=y)
    area.tag_redraw()
    state["sent_at"] = time.monotonic()
    state["ticks_at"] = len(ticks)
    return 0.1


def s_before():
    shot("blender-1-before.png")
    return advance()


def press(photo):
    """The button's operator, called the way the sidebar button calls it (its region is the sidebar)."""
    from recon_bridge import runtime

    win, area, region, sidebar = view3d()
    state["before"] = counts()
    t = time.monotonic()
    with override(sidebar):
        r = bpy.ops.recon.reconstruct_from_photo("EXEC_DEFAULT", filepath=photo)
    state["job"] = runtime.state.job
    state["job_t0"] = t
    return {"operator_returned": sorted(r), "operator_seconds": time.monotonic() - t,
            "busy_after_return": runtime.busy()}


def result_info(name):
    """The built collection: its objects, their world boxes, selection, and how the 3D View shows them."""
    coll = bpy.data.collections[name]
    win, area, region, _ = view3d()
    r3d = area.spaces[0].region_3d
    objs = list(coll.objects)
    corners = []
    for o in objs:
        if o.type == "MESH":
            corners += [o.matrix_world @ v.co for v in o.data.vertices]
    xs, ys, zs = [c.x for c in corners], [c.y for c in corners], [c.z for c in corners]
    proj = [location_3d_to_region_2d(region, r3d, c) for c in corners]
    px = [p.x for p in proj if p is not None]
    py = [p.y for p in proj if p is not None]
    front = Quaternion((1, 0, 0), 1.5707963267948966)
    return {
        "objects": sorted(o.name for o in objs),
        "selected": sorted(o.name for o in bpy.context.view_layer.objects if o.select_get()),
        "active": bpy.context.view_layer.objects.active.name if bpy.context.view_layer.objects.active else None,
        "mesh_box": [min(xs), max(xs), min(ys), max(ys), min(zs), max(zs)],
        "reference_x": next(o.location.x for o in objs if o.type == "EMPTY"),
        "offset": list(coll.get("recon_offset", [])),
        "view": {
            "perspective": r3d.view_perspective,
            "front": r3d.view_rotation.rotation_difference(front).angle < 1e-3,
            "mesh_on_screen": len(px) == len(corners) and min(px) >= 0 and max(px) <= region.width and min(py) >= 0
                              and max(py) <= region.height,
            "mesh_height_fraction": (max(py) - min(py)) / region.height if py else 0,
            "mesh_centre_px": [(min(px) + max(px)) / 2, (min(py) + max(py)) / 2] if px else None,
            "region": [region.width, region.height],
        },
    }


def s_first():
    # An artist's first try: Options ▸ Size 1024 (a bigger map; it also takes long enough to watch the progress).
    bpy.context.scene.recon_options.size = 1024
    report["first"] = press(PHOTO)
    report["first"]["progress_shot_stage"] = None
    state["want_progress_shot"] = True
    return advance(0.0)


def progress_shot(job):
    state["want_progress_shot"] = False
    shot("blender-2-progress.png")
    report["first"]["progress_shot_stage"] = job.stage
    report["first"]["progress_shot_running"] = job.running
    report["first"]["stages_while_running"] = [s for s, _t in job.stages]


def s_first_progress():
    # Screenshot the progress as soon as the daemon reports a working stage (or, if the main loop was too slow
    # to see one, just before the completion is applied: timed_apply).
    job = state["job"]
    if not state.get("want_progress_shot") or not job.running:
        return advance(0.05)
    if job.stage not in ("connecting", "sending", "queued", "started"):
        progress_shot(job)
        return advance(0.05)
    timed_out(60, "the first job made no progress")
    return 0.02


def s_first_wait():
    job = state["job"]
    if not job.finished.is_set():
        timed_out(90, "the first job did not finish")
        return 0.05
    t1 = time.monotonic()
    report["first"].update({
        "status": job.status,
        "report": list(job.report()),
        "seconds": t1 - state["job_t0"],
        "max_main_loop_gap": max_gap(state["job_t0"], t1),
        "ticks_during_job": len([x for x in ticks if state["job_t0"] <= x <= t1]),
        "stages": [s for s, _t in job.stages],
        "framed": job.framed,
        "result": result_info(stem(PHOTO)),
    })
    bpy.context.scene.recon_options.size = 256
    return advance(0.3)


def s_second():
    report["second"] = press(PHOTO2)
    return advance(0.05)


def s_second_wait():
    job = state["job"]
    if not job.finished.is_set():
        timed_out(60, "the second job did not finish")
        return 0.05
    report["second"].update({
        "status": job.status, "report": list(job.report()), "stages": [s for s, _t in job.stages],
        "seconds": time.monotonic() - state["job_t0"], "framed": job.framed, "result": result_info(stem(PHOTO2)),
    })
    if "first" in report:
        report["first"]["result_after_second"] = result_info(stem(PHOTO))
    return advance(0.5)


def s_result_shots():
    """The result in the Front view, in the default Solid shading: the reference must show with the mesh."""
    name = stem(PHOTO2)
    coll = bpy.data.collections[name]
    ref = next(o for o in coll.objects if o.type == "EMPTY")
    mesh = next(o for o in coll.objects if o.type == "MESH")
    space = view3d()[1].spaces[0]
    rgb_both = shot("blender-3-result.png")
    rgb_mesh = shot("check-mesh-only.png", hide=[ref])
    rgb_ref = shot("check-reference-only.png", hide=[mesh])
    # Control: the mesh opaque in Solid shading (as before this add-on made it translucent there).
    mat = mesh.data.materials[0]
    alpha = mat.diffuse_color[3]
    mat.diffuse_color[3] = 1.0
    rgb_opaque = shot("check-opaque-mesh.png")
    rgb_opaque_mesh = shot("check-opaque-mesh-only.png", hide=[ref])
    mat.diffuse_color[3] = alpha
    # Regions on screen: the mesh's projected box shrunk to its inner half (face, not background), and the
    # reference's square.
    win, area, region, _ = view3d()
    r3d = space.region_3d
    h = rgb_both.shape[0]

    def to_px(co):
        p = location_3d_to_region_2d(region, r3d, co)
        return (p.x + region.x - area.x, h - (p.y + region.y - area.y))

    pts = [to_px(mesh.matrix_world @ v.co) for v in mesh.data.vertices]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    cx, cy, w2, h2 = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, (max(xs) - min(xs)) / 4, (max(ys) - min(ys)) / 4
    face = (int(cx - w2), int(cy - h2), int(cx + w2), int(cy + h2))

    def diff(a, b, box):
        x0, y0, x1, y1 = box
        return float(abs(a[y0:y1, x0:x1] - b[y0:y1, x0:x1]).mean())

    report["reference_visibility"] = {
        "shading": space.shading.type,
        "color_type": space.shading.color_type,
        "xray": space.shading.show_xray,
        "face_box_px": face,
        "with_vs_mesh_only": diff(rgb_both, rgb_mesh, face),
        "reference_only_vs_mesh_only": diff(rgb_ref, rgb_mesh, face),
        "opaque_with_vs_mesh_only": diff(rgb_opaque, rgb_opaque_mesh, face),
        "mesh_alpha_in_solid": alpha,
    }
    return advance(0.2)


def s_warn():
    report["warn"] = press(WARN_PHOTO)
    return advance(0.05)


def s_warn_wait():
    job = state["job"]
    if not job.finished.is_set():
        timed_out(60, "the warning job did not finish")
        return 0.05
    report["warn"].update({"status": job.status, "verdict": job.verdict, "warnings": job.warnings,
                           "report": list(job.report()), "result": result_info(stem(WARN_PHOTO))})
    return advance(0.5)


def s_warn_shot():
    shot("blender-4-warning.png")
    return advance(0.1)


def s_turned():
    report["turned"] = press(TURNED_PHOTO)
    return advance(0.05)


def s_turned_wait():
    job = state["job"]
    if not job.finished.is_set():
        timed_out(60, "the turned photo's job did not finish")
        return 0.05
    report["turned"].update({"status": job.status, "verdict": job.verdict, "warnings": job.warnings,
                             "report": list(job.report()), "result": result_info(stem(TURNED_PHOTO))})
    return advance(0.5)


def s_turned_shot():
    shot("check-turned.png")
    return advance(0.1)


class VIEW3D_PT_recon_test_cut(bpy.types.Panel):
    """A label too long for the sidebar, drawn as Blender draws any label: the control for the "…" search."""

    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Face Recon"
    bl_label = "Cut on purpose"

    def draw(self, context):
        self.layout.label(text="This label is far too long for the sidebar at its default width, so Blender cuts it")


def s_cut_control():
    bpy.utils.register_class(VIEW3D_PT_recon_test_cut)
    return advance(0.5)


def s_cut_control_shot():
    shot("check-cut-control.png")
    bpy.utils.unregister_class(VIEW3D_PT_recon_test_cut)
    return advance(0.3)


def s_browse():
    # The button: INVOKE opens Blender's file browser (a temporary window), filtered to images.
    state["windows"] = len(bpy.context.window_manager.windows)
    with override():
        r = bpy.ops.recon.reconstruct_from_photo("INVOKE_DEFAULT")
    report["browse"] = {"invoke_returned": sorted(r)}
    return advance(1.0)


def s_pick():
    wm = bpy.context.window_manager
    fwin = next((w for w in wm.windows for a in w.screen.areas if a.type == "FILE_BROWSER"), None)
    if fwin is None:
        timed_out(20, "no file browser opened")
        return 0.2
    farea = next(a for a in fwin.screen.areas if a.type == "FILE_BROWSER")
    params = farea.spaces[0].params
    report["browse"].update({
        "new_window": len(wm.windows) > state["windows"],
        "use_filter": params.use_filter,
        "filter_image": params.use_filter_image,
        "filter_folder": params.use_filter_folder,
        "filter_movie": params.use_filter_movie,
        "filter_glob": params.filter_glob,
    })
    params.directory = os.path.dirname(PHOTO).encode() if isinstance(params.directory, bytes) else os.path.dirname(PHOTO)
    params.filename = os.path.basename(PHOTO)
    state["fwin"] = fwin
    # Let the browser list the folder and make its thumbnails, as a user looking at it would (closing it while
    # its thumbnail job runs can crash Blender 3.4).
    return advance(3.0)


def s_pick_execute():
    from recon_bridge import runtime

    fwin = state["fwin"]
    farea = next(a for a in fwin.screen.areas if a.type == "FILE_BROWSER")
    state["before_pick"] = runtime.state.job
    state["collections_before_pick"] = [c.name for c in bpy.context.scene.collection.children]
    region = next(r for r in farea.regions if r.type == "WINDOW")
    with bpy.context.temp_override(window=fwin, area=farea, region=region, screen=fwin.screen):
        bpy.ops.file.execute()
    return advance(0.1)


def s_wait_browse():
    from recon_bridge import runtime

    job = runtime.state.job
    if job is state["before_pick"] or not job.finished.is_set():
        timed_out(60, "the job from the file browser did not finish")
        return 0.1
    name = stem(PHOTO)
    report["browse"].update({
        "status": job.status, "photo": job.photo, "report": list(job.report()),
        "collections_named": sum(1 for c in bpy.data.collections if c.name.startswith(name)),
        "windows_after": len(bpy.context.window_manager.windows),
        "outliner_before": state["collections_before_pick"],
        "outliner_after": [c.name for c in bpy.context.scene.collection.children],
        "result": result_info(name),
    })
    return advance(0.3)


def s_cancel():
    from recon_bridge import runtime

    state["before"] = counts()
    with override():
        bpy.ops.recon.reconstruct_from_photo("EXEC_DEFAULT", filepath=PHOTO)
        state["job"] = runtime.state.job
        r = bpy.ops.recon.cancel()
    report["cancel"] = {"cancel_returned": sorted(r)}
    return advance(0.05)


def s_wait_cancel():
    job = state["job"]
    if not job.finished.is_set():
        timed_out(30, "cancel")
        return 0.05
    report["cancel"].update({"status": job.status, "report": list(job.report()),
                             "counts_before": state["before"], "counts_after": counts()})
    return advance(0.1)


def s_noface():
    report["no_face"] = press(NOFACE)
    return advance(0.05)


def s_wait_noface():
    job = state["job"]
    if not job.finished.is_set():
        timed_out(30, "no face")
        return 0.05
    report["no_face"].update({"status": job.status, "report": list(job.report()),
                              "code": job.error.code if job.error else None,
                              "counts_before": state["before"], "counts_after": counts()})
    return advance(0.8)  # let the modal operator report and the panel redraw


def s_daemon_gone():
    # The daemon is not there: the preferences point at a port where nothing listens.
    from recon_bridge import runtime

    prefs = bpy.context.preferences.addons["recon_bridge"].preferences
    prefs.url = "ws://127.0.0.1:%d/" % free_port()
    link = runtime.state.link
    if link.state == "CONNECTED":
        timed_out(10, "the link kept its connection after the URL changed")
        return 0.05
    return advance(0.3)


def s_nodaemon_press():
    n = state["nodaemon_presses"] = state.get("nodaemon_presses", 0) + 1
    report.setdefault("no_daemon", {"presses": []})["presses"].append(press(PHOTO))
    report["no_daemon"]["presses"][-1]["n"] = n
    return advance(0.0)


def s_nodaemon_wait():
    job = state["job"]
    if not job.finished.is_set():
        timed_out(30, "the job without a daemon did not end")
        return 0.02
    p = report["no_daemon"]["presses"][-1]
    p.update({"status": job.status, "code": job.error.code if job.error else None,
              "seconds": time.monotonic() - state["job_t0"], "known_after": job.ended_in,
              "counts_before": state["before"],
              "counts_after": counts(), "report": list(job.report())})
    if state["nodaemon_presses"] < 2:
        state["step"] -= 1  # press again: a second failure must not pile a second popup on the first
        return 0.5
    return advance(1.0)


def s_nodaemon_shot():
    shot("blender-5-no-daemon.png")
    prefs = bpy.context.preferences.addons["recon_bridge"].preferences
    prefs.url = ""  # back to the running daemon
    return advance(0.5)


def s_info_log():
    # The modal operator's reports, from the Info editor's log.
    win, area, region, _ = view3d()
    old = area.type
    area.type = "INFO"
    try:
        with bpy.context.temp_override(window=win, area=area, region=next(r for r in area.regions if r.type == "WINDOW")):
            bpy.ops.info.select_all(action="SELECT")
            bpy.ops.info.report_copy()
        report["info_log"] = bpy.context.window_manager.clipboard.splitlines()
    finally:
        area.type = old
    report["ticks_total"] = len(ticks)
    finish()
    return None


def finish():
    with open(REPORT, "w") as f:
        json.dump(report, f, indent=1, default=str)
    bpy.app.timers.register(lambda: bpy.ops.wm.quit_blender() and None, first_interval=0.2)


STEPS = [s_install, s_connected, s_tab, s_before, s_cut_control, s_cut_control_shot,
         s_first, s_first_progress, s_first_wait,
         s_second, s_second_wait, s_result_shots,
         s_warn, s_warn_wait, s_warn_shot,
         s_turned, s_turned_wait, s_turned_shot,
         s_browse, s_pick, s_pick_execute, s_wait_browse,
         s_cancel, s_wait_cancel,
         s_noface, s_wait_noface,
         s_daemon_gone, s_nodaemon_press, s_nodaemon_wait, s_nodaemon_shot,
         s_info_log]

bpy.app.timers.register(step, first_interval=1.0, persistent=True)
