from bpy.types import Operator

from .. import runtime


class RECON_OT_cancel(Operator):
    """Cancel the running reconstruction (nothing is built)"""

    bl_idname = "recon.cancel"
    bl_label = "Cancel"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        return runtime.busy()

    def execute(self, context):
        if runtime.cancel_job():
            self.report({"INFO"}, "Face Recon: cancelling…")
            return {"FINISHED"}
        return {"CANCELLED"}
