"""A real Blender UI session (under Xvfb, software OpenGL), driven by test/blender.test.ts:

    xvfb-run -a -s "-screen 0 1600x900x24" blender --factory-startup --enable-event-simulate --python ui_session.py

Unlike background mode, bpy.app.timers fire and operators can be modal, so this exercises the add-on exactly as
a user's click does: the operator starts the job and returns, the network runs on threads, the timer pump
builds the scene, the modal operator reports. A fast timer measures how long the main loop is ever blocked.
It also switches the sidebar to the Face Recon tab and takes screenshots of the 3D View.

Environment: RECON_TEST_ZIP, RECON_TEST_REPORT, RECON_TEST_PHOTO, RECON_TEST_NOFACE, RECON_TEST_SHOTS (folder).
"""
import json
import os
import time
import traceback

import bpy

ZIP = os.environ["RECON_TEST_ZIP"]
REPORT = os.environ["RECON_TEST_REPORT"]
PHOTO = os.environ["RECON_TEST_PHOTO"]
NOFACE = os.environ["RECON_TEST_NOFACE"]
SHOTS = os.environ["RECON_TEST_SHOTS"]

# No splash screen over the screenshots (read after --python scripts run).
bpy.context.preferences.view.show_splash = False

report = {"steps": [], "errors": []}
ticks = []
state = {"step": 0, "t": time.monotonic()}


def tick():
    ticks.append(time.monotonic())
    return 0.01


def view3d():
    win = bpy.context.window_manager.windows[0]
    area = max((a for a in win.screen.areas if a.type == "VIEW_3D"), key=lambda a: a.width * a.height)
    region = next(r for r in area.regions if r.type == "WINDOW")
    sidebar = next(r for r in area.regions if r.type == "UI")
    return win, area, region, sidebar


def override():
    win, area, region, _ = view3d()
    return bpy.context.temp_override(window=win, area=area, region=region, screen=win.screen)


def counts():
    return {k: len(getattr(bpy.data, k)) for k in ("objects", "collections", "meshes", "materials", "images")}


def max_gap(t0, t1):
    ts = [t for t in ticks if t0 <= t <= t1]
    if len(ts) < 2:
        return None
    return max(b - a for a, b in zip(ts, ts[1:]))


panel_drawn = {"t": 0.0}


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


def s_install():
    bpy.ops.preferences.addon_install(filepath=ZIP, overwrite=True)
    bpy.ops.preferences.addon_enable(module="recon_bridge")
    import recon_bridge.ui.panel as panel

    original = panel.VIEW3D_PT_recon.draw

    def draw(self, context):
        panel_drawn["t"] = time.monotonic()
        return original(self, context)

    panel.VIEW3D_PT_recon.draw = draw
    win, area, region, sidebar = view3d()
    area.spaces[0].show_region_ui = True
    with override():
        bpy.ops.view3d.view_axis(type="FRONT")
    # Remove the default cube etc. so the screenshot shows only the result.
    for o in list(bpy.data.objects):
        bpy.data.objects.remove(o)
    report["steps"].append("installed")
    bpy.app.timers.register(tick, persistent=True)
    return advance(0.5)


def s_connected():
    from recon_bridge import runtime

    if runtime.state.link is not None and runtime.state.link.state == "CONNECTED":
        report["link"] = {"state": runtime.state.link.state, "url": runtime.state.link.url,
                          "seconds": time.monotonic() - state["t"]}
        return advance()
    if time.monotonic() - state["t"] > 20:
        raise RuntimeError("the link did not connect: %r" % (runtime.connection(),))
    return 0.1


def s_reconstruct():
    from recon_bridge import runtime

    state["before"] = counts()
    original_apply = runtime._apply

    def timed_apply(job, outcome):
        t = time.monotonic()
        try:
            return original_apply(job, outcome)
        finally:
            report.setdefault("apply_seconds", []).append(time.monotonic() - t)

    runtime._apply = timed_apply
    t = time.monotonic()
    with override():
        r = bpy.ops.recon.reconstruct_from_photo("EXEC_DEFAULT", filepath=PHOTO)
    report["reconstruct"] = {"operator_returned": sorted(r), "operator_seconds": time.monotonic() - t,
                             "busy_after_return": runtime.busy()}
    state["job"] = runtime.state.job
    state["job_t0"] = t
    return advance(0.05)


def s_wait_job():
    job = state["job"]
    if not job.finished.is_set():
        if time.monotonic() - state["t"] > 60:
            raise RuntimeError("the job did not finish")
        return 0.05
    t1 = time.monotonic()
    name = os.path.splitext(os.path.basename(PHOTO))[0]
    coll = bpy.data.collections.get(name)
    report["reconstruct"].update({
        "status": job.status,
        "report": list(job.report()),
        "seconds": t1 - state["job_t0"],
        "max_main_loop_gap": max_gap(state["job_t0"], t1),
        "ticks_during_job": len([x for x in ticks if state["job_t0"] <= x <= t1]),
        "collection": coll is not None,
        "objects": sorted(o.name for o in coll.objects) if coll else [],
        "stages_seen": job.stage,
    })
    # Frame the result in the front orthographic view, textured solid shading.
    win, area, region, _ = view3d()
    space = area.spaces[0]
    # Textured and see-through (X-ray), so the structure map shows through the mesh where they line up.
    space.shading.type = "SOLID"
    space.shading.color_type = "TEXTURE"
    space.shading.show_xray = True
    space.shading.xray_alpha = 0.6
    space.overlay.show_floor = False
    space.overlay.show_axis_x = False
    space.overlay.show_axis_y = False
    for o in bpy.data.objects:
        o.select_set(o.name in coll.objects)
    with override():
        bpy.ops.view3d.view_axis(type="FRONT")
        bpy.ops.view3d.view_selected()
    for o in bpy.data.objects:
        o.select_set(False)
    space.region_3d.view_distance *= 0.75
    report["view"] = {"perspective": space.region_3d.view_perspective}
    return advance(0.3)


def s_tab():
    # Ctrl+wheel over the sidebar cycles its tabs (Item, Tool, View, …); stop when ours has drawn. Software GL
    # makes a main-loop turn slow, so wait for a few turns (timer ticks) after each event before looking.
    win, area, region, sidebar = view3d()
    if state.get("ticks_at") is not None and len(ticks) - state["ticks_at"] < 4:
        return 0.1
    if panel_drawn["t"] > state.get("sent_at", 0.0):
        report["tab"] = {"cycles": state.get("cycles", 0)}
        return advance(0.5)
    n = state["cycles"] = state.get("cycles", 0) + 1
    if n > 16:
        raise RuntimeError("the Face Recon tab never showed")
    # Click down the tab strip at the sidebar's right edge, one step per turn, until our tab is hit.
    x = sidebar.x + sidebar.width - 8
    y = sidebar.y + sidebar.height - 20 - 30 * (n - 1)
    if os.environ.get("RECON_TEST_DEBUG"):
        with override():
            bpy.ops.screen.screenshot(filepath=os.path.join(SHOTS, "tab%d.png" % n))
    win.event_simulate(type="MOUSEMOVE", value="NOTHING", x=x, y=y)
    win.event_simulate(type="LEFTMOUSE", value="PRESS", x=x, y=y)
    win.event_simulate(type="LEFTMOUSE", value="RELEASE", x=x, y=y)
    area.tag_redraw()
    state["sent_at"] = time.monotonic()
    state["ticks_at"] = len(ticks)
    return 0.1


def s_shot_result():
    path = os.path.join(SHOTS, "blender-result.png")
    with override():
        bpy.ops.screen.screenshot_area(filepath=path)
    report["shots"] = [path]
    # The reference alone (mesh hidden for this shot).
    name = os.path.splitext(os.path.basename(PHOTO))[0]
    mesh = bpy.data.objects[name + " face"]
    mesh.hide_set(True)
    state["hidden"] = mesh
    view3d()[1].tag_redraw()
    return advance(1.0)


def s_shot_reference():
    path = os.path.join(SHOTS, "blender-reference.png")
    with override():
        bpy.ops.screen.screenshot_area(filepath=path)
    report["shots"].append(path)
    state["hidden"].hide_set(False)
    return advance(0.1)


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
        if time.monotonic() - state["t"] > 20:
            raise RuntimeError("no file browser opened")
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
    from recon_bridge import runtime

    state["before_pick"] = runtime.state.job
    region = next(r for r in farea.regions if r.type == "WINDOW")
    with bpy.context.temp_override(window=fwin, area=farea, region=region, screen=fwin.screen):
        bpy.ops.file.execute()
    return advance(0.1)


def s_wait_browse():
    from recon_bridge import runtime

    job = runtime.state.job
    if job is state["before_pick"] or not job.finished.is_set():
        if time.monotonic() - state["t"] > 60:
            raise RuntimeError("the job from the file browser did not finish")
        return 0.1
    name = os.path.splitext(os.path.basename(PHOTO))[0]
    report["browse"].update({
        "status": job.status, "photo": job.photo, "report": list(job.report()),
        "collections_named": sum(1 for c in bpy.data.collections if c.name.startswith(name)),
        "windows_after": len(bpy.context.window_manager.windows),
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
        return 0.05
    report["cancel"].update({"status": job.status, "report": list(job.report()),
                             "counts_before": state["before"], "counts_after": counts()})
    return advance(0.1)


def s_noface():
    from recon_bridge import runtime

    state["before"] = counts()
    with override():
        bpy.ops.recon.reconstruct_from_photo("EXEC_DEFAULT", filepath=NOFACE)
    state["job"] = runtime.state.job
    return advance(0.05)


def s_wait_noface():
    job = state["job"]
    if not job.finished.is_set():
        return 0.05
    report["no_face"] = {"status": job.status, "report": list(job.report()), "code": job.error.code if job.error else None,
                         "counts_before": state["before"], "counts_after": counts()}
    return advance(0.8)  # let the modal operator report and the panel redraw


def s_shot_error():
    path = os.path.join(SHOTS, "blender-no-face.png")
    with override():
        bpy.ops.screen.screenshot_area(filepath=path)
    report["shots"].append(path)
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


STEPS = [s_install, s_connected, s_reconstruct, s_wait_job, s_tab, s_shot_result, s_shot_reference, s_browse, s_pick,
         s_wait_browse, s_cancel, s_wait_cancel, s_noface,
         s_wait_noface, s_shot_error]

bpy.app.timers.register(step, first_interval=1.0, persistent=True)
