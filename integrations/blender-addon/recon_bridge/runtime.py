# The add-on's live state in a Blender session, and the one place where background work meets bpy.
#
# Threads: the connection (core.link.DaemonLink) and each job or command run on background threads and never
# touch bpy; they put events on a queue. pump() — registered with bpy.app.timers, so it runs on the main
# thread between redraws — drains the queue, updates the state the panel draws, and builds the scene for a
# finished job with the same scene.build_scene the scripting API uses. The UI never waits on the network.
import queue
import threading
import time

import bpy

from . import scene as scene_build
from .core import errors, jobs
from .core.errors import ReconError
from .core.link import CONNECTED, DaemonLink

CLIENT_VERSION = "0.1.0"

RUNNING = "RUNNING"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"

_events = queue.SimpleQueue()


class Job(object):
    """One reconstruction started from the UI. ``finished`` is set on the main thread once the scene is built
    (or the failure recorded), so an operator polling it can report."""

    _seq = 0

    def __init__(self, photo, options, build):
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
        self.messages = []  # plugin / daemon messages: (time, level, text)
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


def start_job(photo, options, build):
    """Start a reconstruction on a background thread; returns the Job at once. ``build``: keyword arguments
    for scene.build_scene (name, import_mesh, load_images, mesh_importer)."""
    link = ensure_link()
    from .prefs import get_prefs

    p = get_prefs()
    timeout = float(p.job_timeout)
    connect_wait = min(5.0, float(p.request_timeout))
    job = Job(photo, options, build)
    state.job = job

    def work():
        try:
            client = link.get_client(timeout=connect_wait)
            job.stage = "queued"
            _events.put(("redraw",))
            outcome = jobs.run_job(
                client, photo, options, timeout=timeout, cancel_event=job.cancel_event,
                on_progress=lambda stage, fraction: _events.put(("progress", job, stage, fraction)),
            )
            _events.put(("completed", job, outcome))
        except ReconError as e:
            _events.put(("failed", job, e))
        except Exception as e:  # a bug: still end the job visibly
            _events.put(("failed", job, ReconError(str(e), "INTERNAL_ERROR", "This is a bug in the add-on.")))

    threading.Thread(target=work, name="recon-job-%d" % job.seq, daemon=True).start()
    _ensure_timer()
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
                _, job, stage, fraction = ev
                if job.running:
                    job.stage, job.fraction = stage, max(job.fraction, fraction)
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
    if redraw:
        tag_redraw()
    return 0.1 if busy() else 0.5


def _apply(job, outcome):
    try:
        if job.cancel_event.is_set():
            _finish(job, CANCELLED)
            return
        job.stage = "building scene"
        result = scene_build.build_scene(outcome, **job.build)
        job.verdict = result.verdict
        job.warnings = result.warnings
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
        state.messages.append((time.time(), level, text))
        print("recon-daemon: %s" % text)
    elif method == "daemon.shuttingDown":
        state.messages.append((time.time(), "WARNING", "recon-daemon is stopping (%s)" % params.get("reason", "")))
    del state.messages[:-5]


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


def _ensure_timer():
    if not bpy.app.timers.is_registered(pump):
        bpy.app.timers.register(pump, first_interval=0.1, persistent=True)
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
    # Events of this session's threads must not reach a re-enabled add-on.
    try:
        while True:
            _events.get_nowait()
    except queue.Empty:
        pass
