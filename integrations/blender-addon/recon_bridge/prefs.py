# Add-on preferences: where the daemon is and how to reach it. Empty URL / token mean "find it": the
# discovery file gives the address of a daemon running on this machine, its token file the token.
import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, StringProperty
from bpy.types import AddonPreferences

from .recon_client.discovery import daemon_paths, default_cli_command, read_discovery, resolve_endpoint
from .recon_client.link import LinkSettings

#: The add-on's module name: "recon_bridge" when installed from the zip, "bl_ext.<repo>.recon_bridge" as a
#: Blender 4.2+ extension. AddonPreferences.bl_idname must be exactly this.
ADDON_ID = __package__


def _changed(self, context):
    from . import runtime

    runtime.settings_changed()


class RECON_AddonPreferences(AddonPreferences):
    bl_idname = ADDON_ID

    url: StringProperty(
        name="Daemon URL",
        description="WebSocket address of recon-daemon, e.g. ws://127.0.0.1:47613/. Empty: read it from the daemon's "
                    "discovery file (daemon.json) on this machine",
        default="",
        update=_changed,
    )
    token: StringProperty(
        name="Token",
        description="The daemon's token (64 hex digits). Empty: read it from the daemon's token file "
                    "(~/.config/recon-daemon/token) when the daemon runs on this machine",
        default="",
        subtype="PASSWORD",
        update=_changed,
    )
    auto_start: BoolProperty(
        name="Start the daemon if it is not running",
        description="When nothing answers on this machine, run `<recon-daemon command> start` (at most once a minute)",
        default=False,
        update=_changed,
    )
    cli_path: StringProperty(
        name="recon-daemon command",
        description="How to run recon-daemon, used by Start Daemon and auto-start: a name on PATH, a full path, the path "
                    "of bin/recon-daemon.js (run with node), or a whole command line. `recon-daemon install-addon "
                    "blender` fills in the node and CLI it was run with",
        default=default_cli_command(),
        update=_changed,
    )
    request_timeout: FloatProperty(
        name="Request timeout",
        description="Seconds to wait for an answer before reporting that the daemon is not responding",
        default=10.0, min=1.0, max=600.0, unit="TIME_ABSOLUTE",
        update=_changed,
    )
    job_timeout: FloatProperty(
        name="Job timeout",
        description="Seconds a reconstruction may take before it is cancelled",
        default=120.0, min=5.0, max=3600.0, unit="TIME_ABSOLUTE",
    )
    view: EnumProperty(
        name="View",
        description="Which view of the face to build: the reference image and the face mesh always match",
        items=(
            ("FRONT", "Front view", "The head turned to face the front (front-structure.png and the head-frame mesh): the "
                                    "modeller's front reference, whatever the pose in the photo"),
            ("CAMERA", "Camera view", "As the photo saw it (structure.png, pixel-aligned with the photo's crop, and the "
                                      "mesh in the camera's frame)"),
        ),
        default="FRONT",
    )
    mesh_importer: EnumProperty(
        name="Mesh import",
        description="How face.glb becomes a Blender mesh",
        items=(
            ("BUILTIN", "Built-in", "Read the GLB with the add-on's own reader and build the mesh through the data API "
                                    "(no numpy needed; same result)"),
            ("GLTF", "glTF importer", "Use Blender's glTF 2.0 importer (falls back to the built-in reader if it fails)"),
        ),
        default="BUILTIN",
    )

    def draw(self, context):
        layout = self.layout
        col = layout.column()
        col.prop(self, "url")
        col.prop(self, "token")
        ep = resolve_endpoint(self.url or None, self.token or None)
        box = col.box()
        box.label(text="Connecting to %s (%s)" % (ep.url, "from " + ep.url_source if ep.url_source not in ("given", "default") else ep.url_source), icon="URL")
        if ep.token_source == "given":
            box.label(text="Token: from these preferences", icon="LOCKED")
        elif ep.token_source:
            box.label(text="Token: read from %s" % ep.token_source, icon="LOCKED")
        else:
            box.label(text="Token: not found (expected in %s)" % daemon_paths()["tokenFile"], icon="ERROR")
        info = read_discovery()
        if info is None:
            box.label(text="No running daemon found on this machine (run `recon-daemon start`)", icon="INFO")
        col.separator()
        # Start Daemon uses the command too, so it stays editable whether or not auto-start is on.
        col.prop(self, "cli_path")
        col.prop(self, "auto_start")
        col.separator()
        col.prop(self, "request_timeout")
        col.prop(self, "job_timeout")
        col.prop(self, "view")
        col.prop(self, "mesh_importer")


class _Defaults(object):
    """Stand-in when the add-on's preferences are not registered (its modules imported without enabling it)."""

    url = ""
    token = ""
    auto_start = False
    cli_path = default_cli_command()
    request_timeout = 10.0
    job_timeout = 120.0
    view = "FRONT"
    mesh_importer = "BUILTIN"


def get_prefs(context=None):
    context = context or bpy.context
    addon = context.preferences.addons.get(ADDON_ID) if context and context.preferences else None
    return addon.preferences if addon is not None and addon.preferences is not None else _Defaults()


def link_settings(context=None):
    """A plain copy of the connection settings (main thread only: background threads get this copy)."""
    p = get_prefs(context)
    return LinkSettings(url=p.url.strip(), token=p.token.strip(), auto_start=p.auto_start, cli_path=p.cli_path,
                        request_timeout=p.request_timeout, allow_remote=online_access())


def online_access():
    """Blender 4.2+ "Allow Online Access" (always True before 4.2). A daemon on this machine needs no network."""
    return bool(getattr(bpy.app, "online_access", True))


classes = (RECON_AddonPreferences,)
