# Face Recon for Blender: the recon-daemon client add-on (package `recon_bridge`).
#
# Layout (glTF-Blender-IO style): recon_client/ has no bpy (WebSocket, JSON-RPC, discovery, jobs, frames, GLB
# reader): it is the shared Python client, integrations/python/recon_client, which `recon-daemon install-addon
# blender` vendors into the zip, tested in plain Python; scene.py builds the scene (shared by the button and the
# API); runtime.py bridges background threads and the main thread (bpy.app.timers); ops/, ui/, prefs.py,
# props.py are thin. The scripting API is recon_bridge.api (see docs/blender.md).
bl_info = {
    "name": "Face Recon (recon-daemon)",
    "author": "recon-daemon developers",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "3D View > Sidebar > Face Recon; 3D View > Add > Face Recon",
    "description": "Reconstruct a face mesh (a mask, not a whole head) and a front-view structure-map reference from a photo with recon-daemon",
    "category": "Import-Export",
}

import importlib.util
import os
import sys


def _shared_client():
    """The shared client as this package's ``recon_client``: vendored into the zip by install-addon; in a checkout
    (the folder symlinked into Blender's add-ons, docs/blender.md) loaded from integrations/python/recon_client
    under that same name, so one source serves both and nothing is copied into git."""
    name = __name__ + ".recon_client"
    here = os.path.dirname(os.path.realpath(__file__))
    if name in sys.modules or os.path.isfile(os.path.join(here, "recon_client", "__init__.py")):
        return
    src = os.path.join(os.path.dirname(os.path.dirname(here)), "python", "recon_client")
    spec = importlib.util.spec_from_file_location(name, os.path.join(src, "__init__.py"), submodule_search_locations=[src])
    if spec is None or not os.path.isfile(os.path.join(src, "__init__.py")):
        raise ImportError("recon_bridge: the shared client recon_client is missing: build the add-on with "
                          "`recon-daemon install-addon blender` (it vendors integrations/python/recon_client)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    globals()["recon_client"] = module  # as an import of the subpackage would bind it


_shared_client()

from .recon_client import host as _host  # noqa: E402

# The words the shared client's hints use for this add-on's places (recon_client/host.py).
_host.configure(
    client="the add-on",
    settings="the add-on preferences",
    cli_setting="the add-on preferences (Face Recon ▸ recon-daemon command; `recon-daemon install-addon blender` fills it in)",
    not_running_hint=("Or press Start Daemon in the Face Recon panel, or turn on \"Start the daemon if it is not running\" in the "
                      "add-on preferences. If it runs elsewhere, check the URL and token there."),
    options_doc="docs/blender.md for the options of recon_bridge.api.reconstruct",
)

try:
    import bpy  # noqa: F401
except ImportError:  # plain Python (the shared client's unit tests): no Blender parts
    bpy = None

if bpy is not None:
    from . import api, ops, prefs, props, runtime, ui

    classes = (
        *prefs.classes,
        *props.classes,
        *ops.classes,
        *ui.classes,
    )
else:
    classes = ()

#: Short name scripts use; as a Blender 4.2+ extension the package is bl_ext.<repository>.recon_bridge.
ALIAS = "recon_bridge"


def register():
    for cls in classes:
        bpy.utils.register_class(cls)
    props.register_properties()
    ui.register_menus()
    runtime.register()
    if __name__ != ALIAS and ALIAS not in sys.modules:
        # Installed as an extension: let `import recon_bridge.api` work in scripts as documented.
        sys.modules[ALIAS] = sys.modules[__name__]
        sys.modules[ALIAS + ".api"] = api


def unregister():
    if __name__ != ALIAS and sys.modules.get(ALIAS) is sys.modules.get(__name__):
        sys.modules.pop(ALIAS, None)
        sys.modules.pop(ALIAS + ".api", None)
    runtime.unregister()
    ui.unregister_menus()
    props.unregister_properties()
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
