# One reconstruction job from start to local files: send the photo (by path to a daemon on this machine, as
# bytes otherwise), follow job.progress, end on job.completed / job.failed, honour cancel and timeout, check
# the verdict, and make every file the scene needs available locally (the job folder's own paths when we can
# read them, result.read otherwise). Blocking: the UI runs it on a background thread, the scripting API in
# the calling thread. Nothing here knows about an editor.
import base64
import json
import os
import shutil
import tempfile
import threading
import time

from . import client as proto
from . import errors, host, results
from .errors import ReconError

OUTPUT_KINDS = ("crop", "structure", "depth", "normal", "mask", "front-structure", "front-depth", "front-normal",
                "front-mask", "obj", "glb", "overlay", "turntable")
#: Output kinds loaded into Blender as images (besides the structure map that becomes the reference).
IMAGE_KINDS = ("crop", "depth", "normal", "mask", "front-depth", "front-normal", "front-mask", "structure", "front-structure")
#: What the add-on asks for when the caller does not say (plus the reference map of the chosen view).
DEFAULT_OUTPUTS = ("glb", "crop", "depth", "normal")
#: The two views (docs/outputs.md): "front", the head turned to face the camera (default), or "camera".
VIEWS = ("front", "camera")
#: Options that stay in the add-on (the rest go to the daemon).
CLIENT_OPTIONS = ("import_mesh", "load_images", "transfer", "name")
TRANSFERS = ("auto", "path", "data")


def _invalid(expected, name, value):
    return ReconError("Expected %s for %s but received %r" % (expected, name, value), errors.INVALID_OPTION,
                      "See %s." % host.text("options_doc"), details={"fields": [name]})


def normalize_options(options):
    """Caller options → (daemon options, client options). Checks each value with the daemon's wording
    ("Expected integer 128–1024 for size but received 2000"); unknown names are refused."""
    options = dict(options or {})
    client = {"import_mesh": True, "load_images": True, "transfer": "auto", "name": None, "view": "front"}
    daemon = {}
    for key in list(options):
        value = options.pop(key)
        if key in ("import_mesh", "load_images", "force"):
            if not isinstance(value, bool):
                raise _invalid("a boolean", key, value)
            (client if key != "force" else daemon)[key] = value
        elif key == "transfer":
            if value not in TRANSFERS:
                raise _invalid("one of %s" % ", ".join(TRANSFERS), key, value)
            client[key] = value
        elif key == "name":
            if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 60):
                raise _invalid("a collection name (1–60 characters)", key, value)
            client[key] = value
        elif key == "outputs":
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, (list, tuple, set)) or any(v not in OUTPUT_KINDS for v in value):
                raise _invalid("a list of output kinds (%s)" % ", ".join(OUTPUT_KINDS), key, value)
            daemon["outputs"] = list(value)
        elif key == "size":
            if isinstance(value, bool) or not isinstance(value, int) or not 128 <= value <= 1024:
                raise _invalid("integer 128–1024", key, value)
            daemon["size"] = value
        elif key == "detail":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise _invalid("number 0–1", key, value)
            daemon["detail"] = float(value)
        elif key in ("face", "faces", "face_index"):
            if value == "largest" or value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _invalid('"largest" or a face index ≥ 0', key, value)
            daemon["faces"] = value
        elif key == "view":
            if value not in VIEWS:
                raise _invalid("one of %s" % ", ".join(VIEWS), key, value)
            client["view"] = daemon["view"] = value
        elif key == "subdivisions":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3:
                raise _invalid("an integer 0–3", key, value)
            daemon["subdivisions"] = value
        elif key == "max_pixels":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _invalid("integer ≥ 1", key, value)
            daemon["maxPixels"] = value
        else:
            raise ReconError("Unknown option %r" % key, errors.INVALID_OPTION,
                             "Options: outputs, size, detail, view, subdivisions, face, force, max_pixels, import_mesh, "
                             "load_images, transfer, name.")
    daemon.setdefault("view", client["view"])
    outputs = list(daemon["outputs"]) if "outputs" in daemon else list(DEFAULT_OUTPUTS)
    reference = results.REFERENCE_KINDS[client["view"]]
    if reference not in outputs:
        outputs.append(reference)  # the reference image, in the mesh's view
    if client["import_mesh"] and "glb" not in outputs:
        outputs.append("glb")
    daemon["outputs"] = [k for k in OUTPUT_KINDS if k in outputs]
    return daemon, client


class JobOutcome(object):
    """A completed job with its files on local disk.

    ``files``: kind → local path (the reference map, glb, crop, depth, normal, mask, result as present);
    ``reference``: the output kind of the reference map (front-structure in the front view, the default);
    ``fetched``: True when they were copied with result.read into ``temp_dir`` (Blender should pack them)."""

    def __init__(self, job_id, photo, summary, result, files, fetched, temp_dir):
        self.job_id = job_id
        self.photo = photo
        self.summary = summary
        self.result = result
        self.files = files
        self.fetched = fetched
        self.temp_dir = temp_dir
        self.verdict = results.verdict(result, summary)
        self.warnings = results.checks(result, ("warn", "fail"))
        self.size = results.crop_size(result)
        self.reference = results.reference_kind(result)

    def cleanup(self):
        if self.temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
            self.temp_dir = None


def image_param(c, photo, transfer):
    """{"path": …} for a daemon on this machine (unless transfer="data"), else {"data": base64}."""
    if not os.path.isfile(photo):
        raise ReconError("No such photo: %s" % photo, errors.FILE_NOT_FOUND, "Check the file path.")
    if transfer == "path" or (transfer == "auto" and c.local):
        return {"path": os.path.abspath(photo)}
    with open(photo, "rb") as f:
        data = f.read()
    encoded = base64.b64encode(data).decode("ascii")
    limit = c.limits.get("maxPayload")
    if isinstance(limit, int) and len(encoded) + 512 > limit:
        raise ReconError(
            "The photo is too large to send: %d bytes as base64, the daemon accepts frames of %d bytes" % (len(encoded), limit),
            "IMAGE_TOO_LARGE", "Use a smaller photo, or run the daemon on this machine so the photo goes by path.")
    return {"data": encoded}


def _relative(path, job_dir):
    """A file path the daemon reported → its path relative to the job folder (for result.read)."""
    for sep in ("/", "\\"):
        prefix = job_dir.rstrip("/\\") + sep
        if path.startswith(prefix):
            return path[len(prefix):].replace("\\", "/")
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def run_job(c, photo, options=None, timeout=120.0, on_progress=None, cancel_event=None, fetch_dir=None):
    """Reconstruct ``photo`` on the connected client ``c`` and return a JobOutcome. Raises ReconError for a
    job.failed (the daemon's code and hint), a fail verdict (the failing checks), a cancel (REQUEST_CANCELLED),
    a timeout (TIMEOUT, after cancelling the job), or a lost connection (CONNECTION_LOST)."""
    daemon_opts, client_opts = normalize_options(options)
    job_id, completed = wait_for_job(c, photo, daemon_opts, client_opts["transfer"], timeout, on_progress, cancel_event)
    return collect_outputs(c, job_id, photo, completed, daemon_opts, client_opts, fetch_dir)


def wait_for_job(c, photo, daemon_opts, transfer="auto", timeout=120.0, on_progress=None, cancel_event=None):
    """Send ``photo`` with ``daemon_opts`` (recon.reconstruct's options as the daemon takes them; without
    ``outputs`` the daemon writes its default set) and follow the job to its end: (job id, job.completed's
    ``result``). Raises ReconError as run_job does, except for the verdict, which is the caller's to judge."""
    image = image_param(c, photo, transfer)
    cond = threading.Condition()
    events = []

    def listener(method, params):
        if method in (proto.JOB_PROGRESS, proto.JOB_COMPLETED, proto.JOB_FAILED, proto.CLOSED, proto.DAEMON_SHUTTING_DOWN):
            with cond:
                events.append((method, params))
                cond.notify_all()

    remove = c.add_listener(listener)  # before the request: notifications may follow its answer at once
    job_id = None
    try:
        job_id = c.start_reconstruct(image, daemon_opts)
        deadline = time.monotonic() + timeout
        cancel_sent_at = None
        completed = None
        while completed is None:
            with cond:
                if not events:
                    cond.wait(0.05)
                batch, events[:] = list(events), []
            for method, params in batch:
                if method == proto.CLOSED:
                    raise c.rpc.lost_error()
                if not isinstance(params, dict) or params.get("jobId") != job_id:
                    continue
                if method == proto.JOB_PROGRESS and on_progress and cancel_sent_at is None:
                    on_progress(str(params.get("stage", "")), float(params.get("fraction", 0.0)))
                elif method == proto.JOB_FAILED:
                    err = ReconError.from_rpc(params.get("error"))
                    if cancel_sent_at is not None:
                        raise _cancelled(job_id)
                    err.details.setdefault("jobId", job_id)
                    if params.get("dir"):
                        err.details.setdefault("dir", params["dir"])
                    raise err
                elif method == proto.JOB_COMPLETED:
                    completed = params.get("result") or {}
            if cancel_event is not None and cancel_event.is_set():
                if cancel_sent_at is None:
                    cancel_sent_at = time.monotonic()
                    try:
                        c.cancel(job_id)
                    except ReconError:
                        pass
                # A cancelled job never builds anything, even if it completed meanwhile; wait briefly for the
                # daemon's job.failed so the next job does not race this one, then give up.
                if completed is not None or time.monotonic() - cancel_sent_at > 5.0:
                    raise _cancelled(job_id)
            if completed is None and time.monotonic() > deadline:
                try:
                    c.cancel(job_id)
                except ReconError:
                    pass
                raise ReconError("the job did not finish within %g s (cancelled)" % timeout, errors.TIMEOUT,
                                 "Try again with a larger timeout, or check `recon-daemon status` for a busy queue.",
                                 details={"jobId": job_id})
    finally:
        remove()

    return job_id, completed


def _cancelled(job_id):
    return ReconError("reconstruction cancelled", errors.CANCELLED, "", -32800, {"jobId": job_id})


def collect_outputs(c, job_id, photo, completed, daemon_opts, client_opts, fetch_dir=None):
    """Make result.json and the files the scene needs local; check the verdict."""
    transfer = client_opts["transfer"]
    files = completed.get("files") or {}
    job_dir = completed.get("dir") or ""
    state = {"temp": None, "fetched": False}

    def obtain(kind, fallback_name):
        remote = files.get(kind)
        if transfer != "data" and remote and os.path.isfile(remote):
            return remote
        if not remote and kind != "result":
            return None
        rel = _relative(remote, job_dir) if remote else fallback_name
        data = c.read_file(job_id, rel)
        if state["temp"] is None:
            state["temp"] = fetch_dir or tempfile.mkdtemp(prefix="recon-%s-" % job_id)
            os.makedirs(state["temp"], exist_ok=True)
        local = os.path.join(state["temp"], rel.replace("/", os.sep))
        os.makedirs(os.path.dirname(local), exist_ok=True)
        with open(local, "wb") as f:
            f.write(data)
        state["fetched"] = True
        return local

    try:
        result_path = obtain("result", "result.json")
        with open(result_path, "r", encoding="utf-8") as f:
            result = json.load(f)
        v = results.verdict(result, completed)
        if v == "fail" and not daemon_opts.get("force"):
            err = results.failure_error(result)
            err.details["jobId"] = job_id
            raise err
        local = {"result": result_path}
        reference = results.reference_kind(result, client_opts.get("view", "front")) or results.REFERENCE_KINDS[client_opts.get("view", "front")]
        needed = [reference] + (["glb"] if client_opts["import_mesh"] else [])
        optional = list(IMAGE_KINDS) if client_opts["load_images"] else []
        for kind in needed + optional:
            if kind not in daemon_opts["outputs"]:
                continue
            p = obtain(kind, kind)
            if p is None:
                if kind in needed:
                    raise ReconError("the job completed without %s" % kind, errors.MISSING_OUTPUT,
                                     "The daemon wrote no %s for this photo; see result.json in %s." % (kind, job_dir),
                                     details={"jobId": job_id})
                continue
            local[kind] = p
    except BaseException:
        if state["temp"] and not fetch_dir:
            shutil.rmtree(state["temp"], ignore_errors=True)
        raise
    return JobOutcome(job_id, photo, completed, result, local, state["fetched"], None if fetch_dir else state["temp"])
