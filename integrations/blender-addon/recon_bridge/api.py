"""Scripting API for pipeline scripts and headless Blender (``blender -b --python …``).

    import recon_bridge.api as recon
    names = recon.reconstruct("/photos/ana.jpg", size=512)      # blocks until the scene is built
    print(names, names.collection, names.verdict, names.warnings)

Everything here blocks the calling thread (no bpy.app.timers, which do not run in background mode) and
builds exactly the scene the sidebar button builds (scene.build_scene). Errors raise ReconError with the
daemon's ``code`` and ``hint``; nothing is left in the scene when that happens.
"""
import os

import bpy

from . import scene as scene_build
from .recon_client import errors, jobs
from .recon_client.client import ReconClient
from .recon_client.discovery import is_loopback_url, resolve_endpoint, start_daemon
from .recon_client.errors import ReconError
from .prefs import get_prefs, online_access

__all__ = ("ReconError", "reconstruct", "connect", "list_commands", "execute_command", "status", "remove")

CLIENT_NAME = "blender-recon-bridge-api"
CLIENT_VERSION = "0.1.0"


def connect(url=None, token=None, timeout=None, auto_start=None):
    """A connected, initialized recon_client.client.ReconClient (close it when done, or use ``with``).

    ``url`` / ``token`` default to the add-on preferences, then to the daemon's discovery and token files.
    ``auto_start`` (default: the preference) runs `recon-daemon start` when nothing answers on this machine."""
    p = get_prefs()
    url = url or (p.url.strip() or None)
    token = token or (p.token.strip() or None)
    request_timeout = float(timeout or p.request_timeout)
    auto = p.auto_start if auto_start is None else auto_start
    ep = resolve_endpoint(url, token)
    if not ep.local and not online_access():
        raise errors.online_access_disabled(ep.url)
    try:
        return ReconClient.connect(endpoint=ep, timeout=min(request_timeout, 5.0), request_timeout=request_timeout,
                                   client_name=CLIENT_NAME, client_version=CLIENT_VERSION)
    except ReconError as e:
        if e.code != errors.DAEMON_NOT_RUNNING or not auto or (url and not is_loopback_url(url)):
            raise
    start_daemon(p.cli_path)
    ep = resolve_endpoint(url, token)
    return ReconClient.connect(endpoint=ep, timeout=min(request_timeout, 5.0), request_timeout=request_timeout,
                               client_name=CLIENT_NAME, client_version=CLIENT_VERSION)


def reconstruct(filepath, *, url=None, token=None, timeout=120, on_progress=None, cancel_event=None, **options):
    """Reconstruct the face in ``filepath`` and build its collection; returns the created objects' names.

    Options (all optional): ``outputs`` (list of output kinds; the structure map and, with import_mesh, the GLB
    are always added), ``size`` (128–1024), ``detail`` (0–1), ``face`` (index, 0 = largest), ``force`` (build
    even on a fail verdict), ``max_pixels``, ``import_mesh`` (default True), ``load_images`` (crop/depth/normal/
    mask as images, default True), ``transfer`` ("auto": paths for a daemon on this machine, else bytes;
    "data": always bytes and result.read), ``name`` (collection name; default the photo's stem),
    ``mesh_importer`` ("BUILTIN" or "GLTF"; default the preference), ``view`` ("front": the head turned to face
    the front, front-structure.png with the head-frame mesh on it; "camera": as the photo saw it, structure.png
    with the camera-frame mesh; default the preference, front), ``subdivisions`` (0–3, the mesh's density;
    default 1).

    ``on_progress(stage, fraction)`` is called from this thread as job.progress arrives; set ``cancel_event``
    (a threading.Event) from another thread to cancel.

    The returned list (reference empty first, then the mesh) also has ``.collection``, ``.images``,
    ``.job_id``, ``.verdict``, ``.warnings`` (checks that warned: code, message, hint) and ``.files``.

    Raises ReconError (``.code``, ``.message``, ``.hint``): the daemon's codes (NO_FACE, FILE_NOT_FOUND,
    IMAGE_DECODE_FAILED, …), a failing quality check's code, DAEMON_NOT_RUNNING, NO_ANSWER, TIMEOUT,
    REQUEST_CANCELLED, CONNECTION_LOST, INVALID_OPTION, SCENE_BUILD_FAILED. No objects are left behind."""
    path = bpy.path.abspath(filepath) if filepath.startswith("//") else filepath
    path = os.path.abspath(os.path.expanduser(path))
    mesh_importer = options.pop("mesh_importer", None) or get_prefs().mesh_importer
    options.setdefault("view", str(get_prefs().view).lower())
    if mesh_importer not in ("BUILTIN", "GLTF"):
        raise ReconError("Expected BUILTIN or GLTF for mesh_importer but received %r" % (mesh_importer,), errors.INVALID_OPTION, "")
    _, client_opts = jobs.normalize_options(options)  # refuse bad options before connecting
    if not os.path.isfile(path):
        raise ReconError("No such photo: %s" % path, errors.FILE_NOT_FOUND, "Check the file path.")
    with connect(url, token) as c:
        outcome = jobs.run_job(c, path, options, timeout=float(timeout), on_progress=on_progress, cancel_event=cancel_event)
    try:
        if cancel_event is not None and cancel_event.is_set():
            raise ReconError("reconstruction cancelled", errors.CANCELLED, "", -32800, {"jobId": outcome.job_id})
        return scene_build.build_scene(
            outcome, name=client_opts["name"], import_mesh=client_opts["import_mesh"],
            load_images=client_opts["load_images"], mesh_importer=mesh_importer,
        )
    finally:
        outcome.cleanup()


def remove(name):
    """Remove a collection this add-on built (with its objects and images). Returns True if there was one."""
    return scene_build.remove_collection(name)


def status(url=None, token=None):
    """The daemon.status result (see docs/protocol.md)."""
    with connect(url, token) as c:
        return c.status()


def list_commands(url=None, token=None):
    """Plugin commands: [{command, title, …}] ([] when the daemon has no plugin host)."""
    with connect(url, token) as c:
        return c.list_commands()


def execute_command(command, *args, url=None, token=None):
    """Run a plugin command (commands.execute) and return its value."""
    with connect(url, token) as c:
        return c.execute_command(command, list(args))
