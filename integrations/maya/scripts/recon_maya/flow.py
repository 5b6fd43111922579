# One reconstruction, from a picked photo to files on disk, off Maya's main thread; the scene is built back on
# the main thread. Pure: no maya — the application is a ``host`` (mayahost.MayaHost in Maya, a recording host in
# the tests) with these methods, all called on the main thread:
#   defer(fn)                    run fn on the main thread soon (maya.utils.executeDeferred); the only one called
#                                from the worker threads
#   progress_begin(text) · progress_update(text, fraction) · progress_end()       Maya's main progress bar
#   cancel_requested() → bool    the user asked to stop (Esc on the progress bar)
#   build(request, outcome) → summary   make the scene (raises ReconError)
#   report_done(request, outcome, summary) · report_error(request, error) · report_cancelled(request) · report_busy()
#
# The worker: connect (starting the daemon first if nothing answers and auto-start is on), send the photo (by
# path to a daemon on this machine, as bytes otherwise), follow the job, refuse a "fail" verdict with its checks,
# fetch every file into a fresh folder beside the result's folder under the project, swap it into place, and pick
# the files the scene uses (outputs.py). Cancel (Esc, or Face Recon ▸ Cancel) sends job.cancel; a cancelled job
# builds nothing, even if the daemon finished it meanwhile.
import os
import shutil
import threading
import time

from . import outputs, prefs
from .recon_client import discovery, download, errors, jobs, results
from .recon_client.client import ReconClient
from .recon_client.errors import ReconError

CLIENT_NAME = "maya-recon"
CLIENT_VERSION = "0.1.0"
#: How often the main thread is asked whether the user cancelled, seconds.
POLL_INTERVAL = 0.1


class Request(object):
    """A job as the main thread prepared it: ``photo``, ``name`` (node-safe, layout.node_name), ``folder`` (where
    its files go: <project>/sourceimages/FaceRecon/<name>), ``values`` (the preferences), ``options`` (for the
    daemon, checked), ``cli`` (what auto-start runs)."""

    __slots__ = ("photo", "name", "folder", "values", "options", "cli")

    def __init__(self, photo, name, folder, values, cli=None, client_views=None):
        if not os.path.isfile(photo):
            raise ReconError("No such photo: %s" % photo, errors.FILE_NOT_FOUND, "Check the file path.")
        self.photo = os.path.abspath(photo)
        self.name = name
        self.folder = os.path.abspath(folder)
        self.values = dict(values)
        self.cli = cli or prefs.cli_command(self.values)
        opts = prefs.job_options(self.values)
        opts.update(outputs.daemon_view_option(self.values.get("view", "front"),
                                               getattr(jobs, "VIEWS", ()) if client_views is None else client_views))
        opts.update(import_mesh=False, load_images=False)
        daemon, _client = jobs.normalize_options(opts)  # refused here, before anything is sent
        daemon.pop("outputs", None)  # the daemon's default set: every map, both meshes, result.json
        self.options = daemon


class Outcome(object):
    """A finished job on disk: ``job_id``, ``saved`` (download.SavedJob, files in ``request.folder``), ``choice``
    (outputs.Choice), ``verdict``, ``warnings`` ([{code, severity, message, hint}])."""

    __slots__ = ("job_id", "saved", "choice", "verdict", "warnings")

    def __init__(self, job_id, saved, choice, verdict, warnings):
        self.job_id, self.saved, self.choice, self.verdict, self.warnings = job_id, saved, choice, verdict, warnings


def replace_folder(staging, final):
    """Put the folder ``staging`` in the place of ``final``: renames only (same parent), the old one removed last."""
    old = None
    if os.path.exists(final):
        old = "%s.old-%d-%d" % (final, os.getpid(), int(time.time() * 1000))
        os.replace(final, old)
    try:
        os.replace(staging, final)
    except OSError:
        if old:
            os.replace(old, final)
        raise
    if old:
        shutil.rmtree(old, ignore_errors=True)


def connect(request, connector=ReconClient.connect, starter=discovery.start_daemon):
    """A connected client for the request's preferences; with auto-start on, a daemon on this machine that does
    not answer is started (`<command> start`) and connected to."""
    url, token = prefs.endpoint(request.values)

    def attempt():
        return connector(url=url, token=token, client_name=CLIENT_NAME, client_version=CLIENT_VERSION, timeout=3.0)

    try:
        return attempt()
    except ReconError as e:
        if e.code != errors.DAEMON_NOT_RUNNING or not request.values.get("autoStart") or (url and not discovery.is_loopback_url(url)):
            raise
    starter(request.cli)
    return attempt()


def execute(request, on_progress=None, cancel_event=None, connector=ReconClient.connect, starter=discovery.start_daemon):
    """The worker's part, blocking: returns an Outcome or raises ReconError (REQUEST_CANCELLED when cancelled)."""
    progress = on_progress or (lambda stage, fraction: None)
    cancel_event = cancel_event or threading.Event()
    progress("connecting", 0.0)
    c = connect(request, connector, starter)
    staging = None
    try:
        progress("sending", 0.0)
        job_id, completed = jobs.wait_for_job(c, request.photo, request.options, "auto", float(request.values["jobTimeout"]),
                                              progress, cancel_event)
        if completed.get("verdict") == "fail":
            # Only result.json (and overlay.png) exist: say why, and leave an earlier result alone.
            result = _read_result(c, job_id, completed)
            err = results.failure_error(result)
            err.details.update(jobId=job_id, dir=completed.get("dir"))
            raise err
        parent = os.path.dirname(request.folder)
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as e:
            raise ReconError("cannot create %s: %s" % (parent, e.strerror or e), "OUTPUT_NOT_WRITABLE",
                             "Set a project you can write to (File ▸ Set Project…).")
        staging = os.path.join(parent, ".%s.part-%s" % (os.path.basename(request.folder), job_id))
        progress("fetching", 1.0)
        saved = download.save_job_files(c, job_id, completed, staging, "auto")
        if cancel_event.is_set():
            raise _cancelled(job_id)
        try:
            replace_folder(staging, request.folder)
        except OSError as e:
            raise ReconError("cannot replace %s: %s" % (request.folder, e.strerror or e), "OUTPUT_NOT_WRITABLE",
                             "Close what holds its files open, or reconstruct under another name.")
        staging = None
        saved.files = {k: os.path.join(request.folder, os.path.relpath(p, saved.dir)) for k, p in saved.files.items()}
        saved.dir = request.folder
        choice = outputs.choose(saved.result, saved.files, request.values.get("view", "front"))
        return Outcome(job_id, saved, choice, results.verdict(saved.result, completed), results.checks(saved.result, ("warn", "fail")))
    finally:
        if staging:
            shutil.rmtree(staging, ignore_errors=True)
        c.close()


def _read_result(c, job_id, completed):
    import json

    path = (completed.get("files") or {}).get("result")
    if c.local and path and os.path.isfile(path):
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    return json.loads(c.read_file(job_id, "result.json").decode("utf-8"))


def _cancelled(job_id=None):
    return ReconError("reconstruction cancelled", errors.CANCELLED, "", -32800, {"jobId": job_id} if job_id else None)


class _Job(object):
    def __init__(self, request):
        self.request = request
        self.cancel = threading.Event()
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.latest = None          # (stage, fraction) not yet shown
        self.update_pending = False
        self.poll_pending = False
        self.stages = []            # every stage the job went through, in order


class Flow(object):
    """At most one job at a time. ``start`` and ``cancel`` are called on the main thread."""

    def __init__(self, host, connector=ReconClient.connect, starter=discovery.start_daemon, poll_interval=POLL_INTERVAL):
        self.host = host
        self.connector = connector
        self.starter = starter
        self.poll_interval = poll_interval
        self._job = None

    @property
    def running(self):
        return self._job is not None

    @property
    def job(self):
        return self._job

    def start(self, request):
        if self._job is not None:
            self.host.report_busy()
            return False
        job = self._job = _Job(request)
        self.host.progress_begin("Face Recon: connecting…")
        threading.Thread(target=self._work, args=(job,), name="recon-maya-job", daemon=True).start()
        threading.Thread(target=self._tick, args=(job,), name="recon-maya-poll", daemon=True).start()
        return True

    def cancel(self):
        job = self._job
        if job is None:
            return False
        job.cancel.set()
        self.host.progress_update("Face Recon: cancelling…", 1.0)
        return True

    # -- worker threads

    def _work(self, job):
        outcome, error = None, None
        try:
            outcome = execute(job.request, lambda s, f: self._progress(job, s, f), job.cancel, self.connector, self.starter)
        except ReconError as e:
            error = e
        except Exception as e:  # a bug: reported, never silent
            error = ReconError("%s: %s" % (type(e).__name__, e), "INTERNAL_ERROR", "This is a bug in the Maya module; please report it.")
        finally:
            job.done.set()
        self.host.defer(lambda: self._finish(job, outcome, error))

    def _progress(self, job, stage, fraction):
        with job.lock:
            if not job.stages or job.stages[-1] != stage:
                job.stages.append(stage)
            job.latest = (stage, fraction)
            if job.update_pending:
                return  # the main thread shows the latest when it gets to it
            job.update_pending = True
        self.host.defer(lambda: self._show_progress(job))

    def _tick(self, job):
        while not job.done.wait(self.poll_interval):
            with job.lock:
                if job.poll_pending:
                    continue
                job.poll_pending = True
            self.host.defer(lambda: self._poll(job))

    # -- main thread

    def _show_progress(self, job):
        with job.lock:
            job.update_pending = False
            latest, job.latest = job.latest, None
        if latest is None or self._job is not job or job.cancel.is_set():
            return
        stage, fraction = latest
        self.host.progress_update("Face Recon: %s %s (%d%%)" % (os.path.basename(job.request.photo), stage, round(100 * fraction)), fraction)

    def _poll(self, job):
        with job.lock:
            job.poll_pending = False
        if self._job is job and not job.cancel.is_set() and self.host.cancel_requested():
            self.cancel()

    def _finish(self, job, outcome, error):
        try:
            self.host.progress_end()
            if error is None and job.cancel.is_set():
                error = _cancelled(outcome.job_id if outcome else None)
            if error is not None:
                if error.code == errors.CANCELLED:
                    self.host.report_cancelled(job.request)
                else:
                    self.host.report_error(job.request, error)
                return
            try:
                summary = self.host.build(job.request, outcome)
            except ReconError as e:
                self.host.report_error(job.request, e)
                return
            except Exception as e:
                self.host.report_error(job.request, ReconError("building the scene failed: %s: %s" % (type(e).__name__, e),
                                                               errors.SCENE_BUILD_FAILED, "Nothing was added to the scene."))
                return
            self.host.report_done(job.request, outcome, summary)
        finally:
            if self._job is job:
                self._job = None
