"""Face Recon for Maya: the recon-daemon client module (package ``recon_maya``), Maya 2022+ with Python 3.

Layout: every ``maya`` import is in ``mayahost`` (the menu, the shelf button's command, the file dialog, the
progress bar, dialogs, optionVars, the scene); the rest runs and is tested in plain Python: ``flow`` (one job on a
worker thread, from photo to files), ``prefs`` (the preferences and their checks), ``outputs`` (which files of a
result to use), ``layout`` and ``units`` (where things go, in the scene's unit), ``objfile`` (the OBJ's extent).
``recon_client`` is the shared client, vendored by `recon-daemon install-addon maya` (docs/maya.md).

Scripts: ``import recon_maya; recon_maya.reconstruct_from_photo()`` is what the shelf button and the menu item run;
``recon_maya.mayahost.reconstruct(path)`` builds a result synchronously (mayapy, batch).
"""
import importlib.util
import os
import sys

__version__ = "0.1.0"


def _shared_client():
    """The shared client as this package's ``recon_client``: vendored into the module by install-addon; in a
    checkout (MAYA_MODULE_PATH pointing at integrations/maya) loaded from integrations/python/recon_client under
    that same name, so one source serves both and nothing is copied into git."""
    name = __name__ + ".recon_client"
    here = os.path.dirname(os.path.realpath(__file__))
    if name in sys.modules or os.path.isfile(os.path.join(here, "recon_client", "__init__.py")):
        return
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(here))), "python", "recon_client")
    spec = importlib.util.spec_from_file_location(name, os.path.join(src, "__init__.py"), submodule_search_locations=[src])
    if spec is None or not os.path.isfile(os.path.join(src, "__init__.py")):
        raise ImportError("recon_maya: the shared client recon_client is missing: build the module with "
                          "`recon-daemon install-addon maya` (it vendors integrations/python/recon_client)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    globals()["recon_client"] = module  # as an import of the subpackage would bind it


_shared_client()

from .recon_client import host as _host  # noqa: E402

# The words the shared client's hints use for this module's places (recon_client/host.py).
_host.configure(
    client="the Maya module",
    settings="Face Recon ▸ Preferences…",
    cli_setting="Face Recon ▸ Preferences… ▸ recon-daemon command (`recon-daemon install-addon maya` fills it in)",
    not_running_hint=("Or use Face Recon ▸ Start Daemon, or turn on \"Start the daemon if it is not running\" in "
                      "Face Recon ▸ Preferences…. If it runs elsewhere, check the URL and token file there."),
    options_doc="docs/maya.md for the options of recon_maya",
)


def reconstruct_from_photo():
    """The shelf button's and the menu item's command: pick a photo and reconstruct it (needs Maya's UI)."""
    from . import mayahost

    return mayahost.reconstruct_from_photo()
