import os

import bpy
from bpy.props import BoolProperty, StringProperty
from bpy.types import Operator

from .. import api, runtime
from ..recon_client.errors import ReconError
from ..prefs import get_prefs
from ..scene import collection_name_for
from ._modal import WaitAndReport, can_wait

IMAGE_GLOB = "*.jpg;*.jpeg;*.png;*.webp;*.tif;*.tiff;*.avif;*.heic;*.heif;*.gif"


class RECON_OT_reconstruct_from_photo(WaitAndReport, Operator):
    """Reconstruct the face in a photo with recon-daemon: a front-view reference image (the structure map) and a face mesh (a mask from forehead to chin, not a whole head), aligned, in a collection named after the photo, beside earlier results"""

    bl_idname = "recon.reconstruct_from_photo"
    bl_label = "Reconstruct from Photo"
    bl_options = {"REGISTER"}

    filepath: StringProperty(name="Photo", subtype="FILE_PATH", options={"SKIP_SAVE"})
    filter_glob: StringProperty(default=IMAGE_GLOB, options={"HIDDEN"})
    filter_image: BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    filter_folder: BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        if runtime.busy():
            cls.poll_message_set("A reconstruction is running: wait for it or cancel it")
            return False
        return context.scene is not None

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        path = bpy.path.abspath(self.filepath) if self.filepath else ""
        if not path or not os.path.isfile(path):
            self.report({"ERROR"}, "Face Recon: no such photo: %r. Pick an image file." % (self.filepath,))
            return {"CANCELLED"}
        opts = context.scene.recon_options.to_options()
        prefs = get_prefs(context)
        opts.setdefault("view", str(prefs.view).lower())
        if not can_wait(context):
            # Background mode: nothing to keep responsive, and timers do not run. Same code as the API.
            try:
                names = api.reconstruct(path, timeout=prefs.job_timeout, **opts)
            except ReconError as e:
                self.report({"ERROR"}, "Face Recon: %s (%s)" % (e.user_text(), e.code))
                return {"CANCELLED"}
            self.report({"WARNING"} if names.warnings else {"INFO"},
                        "Face Recon: built \"%s\" (%s)" % (names.collection, names.verdict or "done"))
            return {"FINISHED"}
        build = {
            "name": collection_name_for(path),
            "import_mesh": opts.get("import_mesh", True),
            "mesh_importer": prefs.mesh_importer,
        }
        area = context.area
        frame = context.scene.recon_options.frame_result and area is not None and area.type == "VIEW_3D"
        view = (context.window.as_pointer(), area.as_pointer()) if frame else None
        self._job = runtime.start_job(path, opts, build, view)
        self.report({"INFO"}, "Face Recon: reconstructing %s…" % os.path.basename(path))
        return self.wait_for(context, self._job.finished)

    def finish(self, context):
        level, text = self._job.report()
        # The job ended seconds after the click: an ERROR report would open a popup under wherever the mouse
        # is now (one more for every failed try, stacking up). The status bar and the Info editor get the
        # report as a warning; the panel shows the error in red with its hint.
        self.report({"WARNING" if level == "ERROR" else level}, text)
        return {"FINISHED"} if self._job.status == runtime.COMPLETED else {"CANCELLED"}
