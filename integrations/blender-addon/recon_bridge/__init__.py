# Face Recon for Blender: the recon-daemon client add-on (package `recon_bridge`).
#
# Layout (glTF-Blender-IO style): core/ has no bpy (WebSocket, JSON-RPC, discovery, jobs, frames, GLB reader)
# and is tested in plain Python; scene.py builds the scene (shared by the button and the API); runtime.py
# bridges background threads and the main thread (bpy.app.timers); ops/, ui/, prefs.py, props.py are thin.
# The scripting API is recon_bridge.api (see docs/blender.md).
bl_info = {
    "name": "Face Recon (recon-daemon)",
    "author": "recon-daemon developers",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "3D View > Sidebar > Face Recon; 3D View > Add > Face Recon",
    "description": "Reconstruct a face mesh (a mask, not a whole head) and a front-view structure-map reference from a photo with recon-daemon",
    "category": "Import-Export",
}

import sys

try:
    import bpy  # noqa: F401
except ImportError:  # plain Python (the core's unit tests): no Blender parts
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
