from bpy.types import Operator

from .. import runtime
from ..recon_client.discovery import start_daemon
from ..prefs import get_prefs
from ._modal import WaitAndReport, can_wait


class RECON_OT_reconnect(Operator):
    """Connect to recon-daemon again now (re-reading its address and token)"""

    bl_idname = "recon.reconnect"
    bl_label = "Reconnect"

    def execute(self, context):
        runtime.settings_changed()
        runtime.ensure_link().reconnect()
        return {"FINISHED"}


class RECON_OT_start_daemon(WaitAndReport, Operator):
    """Start recon-daemon on this machine with the command set in the add-on preferences"""

    bl_idname = "recon.start_daemon"
    bl_label = "Start Daemon"

    @classmethod
    def description(cls, context, properties):
        return "Start recon-daemon on this machine: %s start (the command is set in the add-on preferences)" % (
            get_prefs(context).cli_path,)

    @classmethod
    def poll(cls, context):
        if runtime.state.starting:
            cls.poll_message_set("recon-daemon is being started")
            return False
        return True

    def execute(self, context):
        cli = get_prefs(context).cli_path
        self._task = runtime.Task("start", lambda: start_daemon(cli))
        runtime.state.start_error = None
        if not can_wait(context):
            self._task.run_now()
            return self.finish(context)
        runtime.state.starting = True
        self._task.start()
        return self.wait_for(context, self._task.done)

    def finish(self, context):
        runtime.state.starting = False
        if self._task.error is not None:
            e = self._task.error
            runtime.state.start_error = e  # the connection box shows it until the add-on connects
            # In the UI a warning, not an error: an error report opens a popup under the mouse, seconds later.
            self.report({"ERROR"} if not can_wait(context) else {"WARNING"}, "Face Recon: %s" % e.user_text())
            return {"CANCELLED"}
        info = self._task.result or {}
        self.report({"INFO"}, "Face Recon: recon-daemon started at %s" % info.get("url", "?"))
        if runtime.state.link is not None:
            runtime.state.link.wake()
        return {"FINISHED"}
