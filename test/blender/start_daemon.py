"""Start Daemon right after `recon-daemon install-addon blender`, run by test/blender.test.ts in background
Blender (`blender -b --factory-startup --python-exit-code 1 --python start_daemon.py`).

The zip was built by the CLI of a clean clone; Blender runs with a PATH on which `recon-daemon` is not found
(a checkout or `npx` install puts it nowhere on PATH). The add-on's preferences must hold the command that
install-addon recorded, and its Start Daemon operator must start the daemon with it.

Environment: RECON_TEST_ZIP, RECON_TEST_REPORT, RECON_TEST_EXPECTED_CLI, and a private HOME / XDG dirs with
RECON_DAEMON_PORT=0 so the daemon it starts is ours alone.
"""
import json
import os
import shutil
import time

import bpy

report = {}
try:
    bpy.ops.preferences.addon_install(filepath=os.environ["RECON_TEST_ZIP"], overwrite=True)
    bpy.ops.preferences.addon_enable(module="recon_bridge")
    import recon_bridge.api as api
    from recon_bridge.recon_client import discovery

    prefs = bpy.context.preferences.addons["recon_bridge"].preferences
    report["recon_daemon_on_path"] = shutil.which("recon-daemon")
    report["cli_path"] = prefs.cli_path
    report["expected"] = os.environ["RECON_TEST_EXPECTED_CLI"]
    report["discovery_before"] = discovery.read_discovery()

    # The old default, a bare `recon-daemon`, is what failed out of the box: it is not on this PATH.
    prefs.cli_path = "recon-daemon"
    try:
        bpy.ops.recon.start_daemon()
        report["bare_command"] = {"raised": False}
    except RuntimeError as e:
        report["bare_command"] = {"raised": True, "text": str(e)}

    # The recorded command (what a user gets: the preference's default after install-addon).
    prefs.property_unset("cli_path")
    report["cli_path_after_unset"] = prefs.cli_path
    t = time.monotonic()
    result = bpy.ops.recon.start_daemon()
    report["start"] = {"result": sorted(result), "seconds": time.monotonic() - t}
    info = discovery.read_discovery()
    report["discovery_after"] = info
    status = api.status()
    report["status"] = {"keys": sorted(status), "version": status.get("version")}
finally:
    info = None
    try:
        from recon_bridge.recon_client import discovery

        info = discovery.read_discovery()
        if info:
            from recon_bridge.recon_client.client import ReconClient

            with ReconClient.connect() as c:
                c.call("daemon.shutdown", {"graceMs": 0})
            for _ in range(100):
                if not discovery.pid_alive(info["pid"]):
                    break
                time.sleep(0.05)
            report["stopped"] = not discovery.pid_alive(info["pid"])
    except Exception as e:  # the vitest side kills it by pid as a last resort
        report["stop_error"] = repr(e)
    with open(os.environ["RECON_TEST_REPORT"], "w") as f:
        json.dump(report, f, indent=1, default=str)
