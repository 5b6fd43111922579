# Plugin commands (commands.list / commands.execute, from the daemon's plugin host).
import json

from bpy.props import StringProperty
from bpy.types import Operator

from .. import api, runtime
from ._modal import WaitAndReport, can_wait


class RECON_OT_refresh_commands(Operator):
    """Ask recon-daemon again for its plugin commands"""

    bl_idname = "recon.refresh_commands"
    bl_label = "Refresh Commands"

    def execute(self, context):
        link = runtime.ensure_link()
        runtime.Task("commands", link.refresh_commands).start()
        return {"FINISHED"}


class RECON_OT_run_command(WaitAndReport, Operator):
    """Run a recon-daemon plugin command"""

    bl_idname = "recon.run_command"
    bl_label = "Run Command"
    bl_options = {"REGISTER"}

    command: StringProperty(name="Command", description="The plugin command id, e.g. sample.hello")
    title: StringProperty(name="Title", options={"HIDDEN", "SKIP_SAVE"})

    @classmethod
    def description(cls, context, properties):
        return "Run the recon-daemon plugin command %s" % (properties.command or "")

    def execute(self, context):
        if not self.command:
            self.report({"ERROR"}, "Face Recon: no command given")
            return {"CANCELLED"}
        command = self.command
        if not can_wait(context):
            self._task = runtime.Task(command, lambda: api.execute_command(command)).run_now()
            return self.finish(context)
        link = runtime.ensure_link()

        def call():
            return link.get_client(timeout=5.0).execute_command(command, [])

        self._task = runtime.Task(command, call).start()
        return self.wait_for(context, self._task.done)

    def finish(self, context):
        name = self.title or self.command
        if self._task.error is not None:
            self.report({"ERROR"}, "Face Recon: %s failed: %s" % (name, self._task.error.user_text()))
            return {"CANCELLED"}
        value = self._task.result
        shown = "" if value is None else (value if isinstance(value, str) else json.dumps(value))
        self.report({"INFO"}, "Face Recon: %s%s" % (name, (" → " + shown[:200]) if shown else " done"))
        return {"FINISHED"}
