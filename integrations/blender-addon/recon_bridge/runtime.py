# The add-on's live state in a Blender session, and the one place where background work meets bpy.
#
# Threads: the connection (recon_client.link.DaemonLink) and each job or command run on background threads and never
# touch bpy; they put events on a queue. pump() — registered with bpy.app.timers, so it runs on the main
# thread between redraws — drains the queue, updates the state the panel draws, and builds the scene for a
# finished job with the same scene.build_scene the scripting API uses. The UI never waits on the network.
import queue
import threading
import time

import bpy

from . import scene as scene_build
from .recon_client import errors, jobs
from .recon_client.errors import ReconError
from .recon_client.link import CONNECTED, DaemonLink

CLIENT_VERSION = "0.1.0"

RUNNING = "RUNNING"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"

_events = queue.SimpleQueue()

#: Seconds between pump runs while a job runs / otherwise.
BUSY_INTERVAL = 0.05
IDLE_INTERVAL = 0.5


class Job(object):
    """One reconstruction started from the UI. ``finished`` is set on the main thread once the scene is built
    (or the failure recorded), so an operator polling it can report."""

    _seq = 0

    def __init__(self, photo, options, build, view=None):
        Job._seq += 1
        self.seq = Job._seq
        self.photo = photo
        self.options = options
        self.build = build
        self.status = RUNNING
        self.stage = "connecting"
        self.fraction = 0.0
        self.job_id = None
        self.error = None
        self.result = None
        self.verdict = None
        self.warnings = []
        self.cancel_event = threading.Event()
        self.finished = threading.Event()
        self.started_at = time.time()
        self.finished_at = None
        self._t0 = time.monotonic()
        #: (stage, seconds since the button) for every stage the job went through, in order — what the panel
        #: lists, so a job that takes half a second still shows what happened.
        self.stages = [("connecting", 0.0)]
        #: (window, area) pointers of the 3D View the button was pressed in: framed on the result when done.
        self.view = view
        self.framed = False
        #: Seconds from the button until the job thread knew the outcome of a failed job (for measurements).
        self.ended_in = None

    def add_stage(self, stage, at=None):
        """Record ``stage`` (main thread) unless it is the current one."""
        if stage and stage != self.stages[-1][0]:
            self.stages.append((stage, (at if at is not None else time.monotonic()) - self._t0))

    @property
    def running(self):
        return self.status == RUNNING

    def report(self):
        """(level, text) for an operator report."""
        if self.status == COMPLETED:
            n = len(self.result or [])
            text = "Face Recon: built \"%s\" (%d object%s), %s" % (
                self.result.collection, n, "" if n == 1 else "s", (self.verdict or "done"))
            if self.warnings:
                text += " — " + "; ".join(w["message"] for w in self.warnings)
                return "WARNING", text
            return "INFO", text
        if self.status == CANCELLED:
            return "WARNING", "Face Recon: cancelled, nothing was built"
        e = self.error
        return "ERROR", "Face Recon: %s (%s)" % (e.user_text(), e.code) if e else "Face Recon failed"


class Task(object):
    """A small background call (a plugin command, starting the daemon) whose outcome an operator reports."""

    def __init__(self, label, fn):
        self.label = label
        self.fn = fn
        self.result = None
        self.error = None
        self.done = threading.Event()

    def start(self):
        threading.Thread(target=self._run, name="recon-task", daemon=True).start()
        return self

    def run_now(self):
        self._run()
        return self

    def _run(self):
        try:
            self.result = self.fn()
        except ReconError as e:
            self.error = e
        except Exception as e:
            self.error = ReconError(str(e), "INTERNAL_ERROR", "This is a bug in the add-on.")
        finally:
            self.done.set()
            _events.put(("redraw",))


class State(object):
    def __init__(self):
        self.link = None
        self.settings = None
        self.job = None
        self.last = None
        self.messages = []  # plugin / daemon messages: (time, level, text, source: "plugin" | "daemon")
        self.starting = False  # Start Daemon is running `recon-daemon start`
        self.start_error = None  # why the last Start Daemon failed (shown until connected)
        self.timer_registered = False


state = State()


# ---------------------------------------------------------------------------------------------------------
# Connection


def _settings_snapshot():
    return state.settings


def settings_changed():
    """Preferences changed (main thread): take a new copy and reconnect if the address or token changed."""
    from .prefs import link_settings

    old = state.settings
    state.settings = link_settings()
    if state.link is not None and (old is None or (old.url, old.token) != (state.settings.url, state.settings.token)):
        state.link.reconnect()


def ensure_link():
    if state.settings is None:
        from .prefs import link_settings

        state.settings = link_settings()
    if state.link is None:
        state.link = DaemonLink(
            _settings_snapshot,
            client_name="blender-recon-bridge",
            client_version=CLIENT_VERSION,
            on_change=lambda: _events.put(("redraw",)),
            on_notification=lambda m, p: _events.put(("notification", m, p)),
        )
    if not state.link.running:
        state.link.start()
    return state.link


def connection():
    """For drawing: (state, text, error) without blocking."""
    if state.link is None:
        return "STOPPED", "not connected", None
    snap = state.link.snapshot()
    if snap["state"] == CONNECTED:
        return snap["state"], "recon-daemon %s at %s" % (snap["server_version"], snap["url"]), None
    err = snap["error"]
    if snap["state"] == "CONNECTING" and not err:
        return snap["state"], "connecting to %s…" % (snap["url"] or "recon-daemon"), None
    return snap["state"], err.message if err else "not connected", err


def retry_in():
    """Seconds until the link's next connection attempt (None when not waiting)."""
    if state.link is None:
        return None
    at = state.link.snapshot()["next_retry_at"]
    return max(0.0, at - time.time()) if at else None


def commands():
    return state.link.snapshot()["commands"] if state.link is not None else []


# ---------------------------------------------------------------------------------------------------------
# Jobs


def busy():
    return state.job is not None and state.job.running


def start_job(photo, options, build, view=None):
    """Start a reconstruction on a background thread; returns the Job at once. ``build``: keyword arguments
    for scene.build_scene (name, import_mesh, load_images, mesh_importer). ``view``: (window, area) pointers
    (``as_pointer()``) of the 3D View to frame on the result."""
    link = ensure_link()
    from .prefs import get_prefs

    p = get_prefs()
    timeout = float(p.job_timeout)
    # Nothing listening fails within milliseconds (the link tries again at once); the wait only bounds a daemon
    # that accepts and never answers — or one that auto-start is starting.
    connect_wait = 90.0 if p.auto_start else min(5.0, float(p.request_timeout))
    job = Job(photo, options, build, view)
    state.job = job

    def progress(stage, fraction):
        _events.put(("progress", job, stage, fraction, time.monotonic()))

    def work():
        try:
            client = link.get_client(timeout=connect_wait)
            _events.put(("progress", job, "sending", 0.0, time.monotonic()))
            outcome = jobs.run_job(
                client, photo, options, timeout=timeout, cancel_event=job.cancel_event, on_progress=progress,
            )
            _events.put(("completed", job, outcome))
        except ReconError as e:
            job.ended_in = time.monotonic() - job._t0
            _events.put(("failed", job, e))
        except Exception as e:  # a bug: still end the job visibly
            job.ended_in = time.monotonic() - job._t0
            _events.put(("failed", job, ReconError(str(e), "INTERNAL_ERROR", "This is a bug in the add-on.")))

    threading.Thread(target=work, name="recon-job-%d" % job.seq, daemon=True).start()
    _ensure_timer(soon=True)
    return job


def cancel_job():
    job = state.job
    if job is None or not job.running:
        return False
    job.cancel_event.set()
    job.stage = "cancelling"
    return True


def _finish(job, status, error=None, result=None):
    job.status = status
    job.error = error
    job.result = result
    job.finished_at = time.time()
    job.fraction = 1.0 if status == COMPLETED else job.fraction
    state.last = job
    level, text = job.report()
    print(text)
    job.finished.set()


# ---------------------------------------------------------------------------------------------------------
# The main-thread pump


def pump():
    """bpy.app.timers callback: apply everything the background threads produced. Returns the next interval."""
    redraw = False
    try:
        while True:
            ev = _events.get_nowait()
            redraw = True
            kind = ev[0]
            if kind == "progress":
                _, job, stage, fraction, at = ev
                if job.running:
                    job.stage, job.fraction = stage, max(job.fraction, fraction)
                    job.add_stage(stage, at)
            elif kind == "completed":
                _, job, outcome = ev
                _apply(job, outcome)
            elif kind == "failed":
                _, job, err = ev
                if job.cancel_event.is_set() or err.code == errors.CANCELLED:
                    _finish(job, CANCELLED)
                else:
                    _finish(job, FAILED, err)
            elif kind == "notification":
                _, method, params = ev
                _notification(method, params)
    except queue.Empty:
        pass
    if redraw and state.start_error is not None and state.link is not None and state.link.state == CONNECTED:
        state.start_error = None
    if redraw and state.messages and (state.link is None or state.link.state != CONNECTED):
        # "recon-daemon is stopping" is news only while connected to it; once it is gone the connection box
        # says so.
        state.messages[:] = [m for m in state.messages if m[3] != "daemon"]
    if redraw:
        tag_redraw()
    return BUSY_INTERVAL if busy() else IDLE_INTERVAL


def _apply(job, outcome):
    try:
        if job.cancel_event.is_set():
            _finish(job, CANCELLED)
            return
        job.stage = "building scene"
        result = scene_build.build_scene(outcome, **job.build)
        job.add_stage("scene built")
        job.verdict = result.verdict
        job.warnings = result.warnings
        if result.selected and job.view is not None:
            job.framed = frame_result(job.view, [bpy.data.objects[n] for n in result if n in bpy.data.objects])
        _finish(job, COMPLETED, result=result)
    except ReconError as e:
        _finish(job, FAILED, e)
    finally:
        outcome.cleanup()


def _notification(method, params):
    # window.showMessage from plugins (issue 5) and anything else worth showing: keep the last few.
    if method == "window.showMessage":  # {plugin, level: info|warning|error, message}
        text = str(params.get("message", ""))
        if params.get("plugin"):
            text = "%s: %s" % (params["plugin"], text)
        level = str(params.get("level") or "info").upper()
        state.messages.append((time.time(), level, text, "plugin"))
        print("recon-daemon: %s" % text)
    elif method == "daemon.shuttingDown":
        reason = params.get("reason")
        text = "recon-daemon is stopping (%s)" % reason if reason else "recon-daemon is stopping"
        state.messages.append((time.time(), "WARNING", text, "daemon"))
    del state.messages[:-5]


# ---------------------------------------------------------------------------------------------------------
# The view


def find_area(view):
    """The live (window, area) for pointers saved when the button was pressed, or (None, None) when that
    window or 3D View is gone (closed, or its editor changed type)."""
    if not view:
        return None, None
    win_ptr, area_ptr = view
    wm = bpy.context.window_manager
    for win in (wm.windows if wm is not None else []):
        if win.as_pointer() != win_ptr or win.screen is None:
            continue
        for area in win.screen.areas:
            if area.as_pointer() == area_ptr and area.type == "VIEW_3D":
                return win, area
    return None, None


#: Share of the 3D View's height (or width, if narrower) the framed reference image takes.
FRAME_FILL = 0.8


def frame_result(view, objects):
    """That 3D View in the Front orthographic view (numpad 1), centred on ``objects`` (the new result) and
    zoomed so that they take FRAME_FILL of it. Returns True if it did."""
    from mathutils import Vector

    win, area = find_area(view)
    if area is None:
        return False
    regions = [r for r in area.regions if r.type == "WINDOW" and r.width > 1 and r.height > 1]
    if not regions or not objects:
        return False
    region = max(regions, key=lambda r: r.width * r.height)  # quad view: the main (largest) one
    box = scene_build.front_box_of(objects)
    if box is None:
        return False
    xmin, xmax, zmin, zmax, ymid = box
    try:
        with bpy.context.temp_override(window=win, area=area, region=region, screen=win.screen):
            bpy.ops.view3d.view_axis(type="FRONT")
    except (RuntimeError, TypeError, AttributeError) as e:  # a locked quad view, an odd editor state
        print("recon_bridge: could not frame the result: %s" % e)
        return False
    r3d = region.data
    r3d.view_perspective = "ORTHO"  # the reference image shows in orthographic views only
    r3d.view_location = Vector(((xmin + xmax) / 2, ymid, (zmin + zmax) / 2))
    # An orthographic view scales linearly with its distance: measure the box on screen once, then scale.
    r3d.view_distance = 1.0
    r3d.update()
    from bpy_extras.view3d_utils import location_3d_to_region_2d

    a = location_3d_to_region_2d(region, r3d, Vector((xmin, ymid, zmin)))
    b = location_3d_to_region_2d(region, r3d, Vector((xmax, ymid, zmax)))
    if a is None or b is None:
        return True
    need = max(abs(b.x - a.x) / (FRAME_FILL * region.width), abs(b.y - a.y) / (FRAME_FILL * region.height))
    if need > 0:
        r3d.view_distance = need
    return True


def tag_redraw():
    wm = bpy.context.window_manager
    if wm is None:
        return
    for window in wm.windows:
        screen = window.screen
        if screen is None:
            continue
        for area in screen.areas:
            if area.type in ("VIEW_3D", "PREFERENCES"):
                area.tag_redraw()


def _ensure_timer(soon=False):
    """The pump runs every 0.5 s when idle; ``soon``: a job just started, so run it at the busy pace now
    rather than after the idle interval (a failure without a daemon shows within a pump or two)."""
    if soon and bpy.app.timers.is_registered(pump):
        bpy.app.timers.unregister(pump)
    if not bpy.app.timers.is_registered(pump):
        bpy.app.timers.register(pump, first_interval=BUSY_INTERVAL, persistent=True)
    state.timer_registered = True


# ---------------------------------------------------------------------------------------------------------
# Register / unregister


def register():
    _ensure_timer()
    if not bpy.app.background:
        # Connect right away so the panel shows the state; in background mode scripts use the API instead.
        bpy.app.timers.register(lambda: (ensure_link(), None)[1], first_interval=0.2)


def unregister():
    if bpy.app.timers.is_registered(pump):
        bpy.app.timers.unregister(pump)
    state.timer_registered = False
    if state.job is not None and state.job.running:
        state.job.cancel_event.set()
    if state.link is not None:
        state.link.stop()
        state.link = None
    state.job = None
    state.starting = False
    state.start_error = None
    # Events of this session's threads must not reach a re-enabled add-on.
    try:
        while True:
            _events.get_nowait()
    except queue.Empty:
        pass
