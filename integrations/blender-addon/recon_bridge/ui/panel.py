# The Face Recon tab of the 3D View's sidebar. Every long text goes through ui.text.wrapped, which lays it out
# in lines that fit the sidebar's current width (Blender would cut it with "…").
#
# Heights are kept steady on purpose. When a panel grows, Blender draws the panels below it at their old place
# for a frame or two and then slides them down, so they are drawn over its new content meanwhile. So:
# - a running job replaces the Reconstruct button by its progress bar and Cancel, in the same row;
# - the connection box keeps its rows while the add-on retries (the error stays until the state changes);
# - what changes with each job (stages, verdict, warnings, messages) is in the Result panel, the last one,
#   with nothing below it to overlap.
import time

import bpy
from bpy.types import Panel

from .. import runtime
from ..recon_client.link import CONNECTED, CONNECTING
from .menus import VIEW3D_MT_recon_commands, draw_commands
from .text import wrapped

CATEGORY = "Face Recon"
VERDICT_ICONS = {"pass": "CHECKMARK", "warn": "ERROR", "fail": "CANCEL"}


class _Base(object):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY


def draw_connection(layout, context):
    state, text, err = runtime.connection()
    box = layout.box()
    row = box.row()
    if state == CONNECTED:
        row.label(text="Connected", icon="LINKED")
    elif state == CONNECTING:
        row.label(text="Connecting…", icon="SORTTIME")
    else:
        row.label(text="Not connected", icon="UNLINKED")
    row.operator("recon.reconnect", text="", icon="FILE_REFRESH")
    wrapped(box, context, text, boxes=1)
    if state == CONNECTED or err is None:
        return
    start_error = runtime.state.start_error
    if start_error is not None:
        wrapped(box, context, "Start Daemon failed: " + start_error.user_text(), icon="ERROR", boxes=1)
    if err.hint:
        wrapped(box, context, err.hint, icon="INFO", boxes=1)
    retry = runtime.retry_in()
    col = box.column(align=True)
    col.scale_y = 0.8
    col.label(text="Retrying in %d s" % max(1, round(retry)) if retry is not None else "Trying again now",
              icon="TIME")
    box.operator("recon.start_daemon", text="Starting…" if runtime.state.starting else "Start Daemon", icon="PLAY")


#: Steps of every job not worth a word in the panel (connecting and sending take milliseconds).
QUIET_STAGES = ("connecting", "sending", "started")


def stages_text(job):
    """What the job went through: "queued → decode → detect → … → scene built" — so a job that took half a
    second still shows its stages, not just "queued"."""
    return " → ".join(stage for stage, _t in job.stages if stage not in QUIET_STAGES) or job.stage


class VIEW3D_PT_recon(_Base, Panel):
    bl_idname = "VIEW3D_PT_recon"
    bl_label = "Face Recon"

    def draw(self, context):
        layout = self.layout
        draw_connection(layout, context)
        job = runtime.state.job
        row = layout.row(align=True)
        row.scale_y = 1.4
        if job is not None and job.running:
            # The progress bar takes the button's place: same row, same height.
            label = job.stage
            if hasattr(row, "progress"):  # Blender 4.0+
                row.progress(factor=job.fraction, type="BAR", text="%s %d%%" % (label, round(job.fraction * 100)))
            else:  # Blender 3.x: a read-only percentage property drawn as a slider
                row.prop(context.window_manager, "recon_progress", text=label, slider=True)
            row.operator("recon.cancel", text="", icon="CANCEL")
        else:
            row.operator_context = "INVOKE_DEFAULT"
            row.operator("recon.reconstruct_from_photo", text="Reconstruct from Photo…", icon="IMAGE_REFERENCE")


class VIEW3D_PT_recon_options(_Base, Panel):
    bl_idname = "VIEW3D_PT_recon_options"
    bl_label = "Options"
    bl_parent_id = "VIEW3D_PT_recon"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        opts = context.scene.recon_options
        col = layout.column()
        col.use_property_split = True
        col.use_property_decorate = False
        col.prop(opts, "size")
        col.prop(opts, "detail", slider=True)
        col.prop(opts, "face_index")
        # Check boxes with their text beside them, over the panel's whole width (a split layout would give the
        # text 40% of it and cut "Build on Failed Verdict").
        col = layout.column(align=True)
        col.prop(opts, "import_mesh")
        col.prop(opts, "force")
        col.prop(opts, "frame_result")
        wrapped(layout, context, "Outputs besides the structure map and the mesh:", scale_y=1.0)
        grid = layout.grid_flow(columns=3, even_columns=True, align=True)
        grid.prop(opts, "outputs")


class VIEW3D_PT_recon_commands(_Base, Panel):
    bl_idname = "VIEW3D_PT_recon_commands"
    bl_label = "Plugin Commands"
    bl_parent_id = "VIEW3D_PT_recon"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        layout.menu(VIEW3D_MT_recon_commands.bl_idname, icon="PLUGIN")
        draw_commands(layout.column())


class VIEW3D_PT_recon_result(_Base, Panel):
    """The running job, else the last one; and what plugins said. Last in the tab: it is the part that grows."""

    bl_idname = "VIEW3D_PT_recon_result"
    bl_label = "Result"
    bl_parent_id = "VIEW3D_PT_recon"

    @classmethod
    def poll(cls, context):
        return runtime.state.job is not None or runtime.state.last is not None or bool(runtime.state.messages)

    def draw(self, context):
        layout = self.layout
        job = runtime.state.job if runtime.state.job is not None and runtime.state.job.running else runtime.state.last
        if job is not None:
            self.draw_job(layout, context, job)
        messages = runtime.state.messages[-3:]
        if messages:
            layout.separator()
            for _t, level, msg, _source in messages:
                wrapped(layout, context, msg, icon="ERROR" if level in ("ERROR", "WARNING") else "INFO")

    def draw_job(self, layout, context, job):
        wrapped(layout, context, bpy.path.basename(job.photo), icon="IMAGE_DATA", scale_y=1.0)
        if job.status == runtime.RUNNING:
            wrapped(layout, context, "Running: " + stages_text(job), icon="SORTTIME")
            return
        if job.status == runtime.COMPLETED:
            v = job.verdict or "done"
            layout.label(text="Verdict: %s" % v, icon=VERDICT_ICONS.get(v, "CHECKMARK"))
            wrapped(layout, context, "Collection: %s" % job.result.collection, icon="OUTLINER_COLLECTION", scale_y=1.0)
            for w in job.warnings:
                box = layout.box()
                wrapped(box, context, "%s: %s" % (w["code"], w["message"]), icon="ERROR", boxes=1)
                if w.get("hint"):
                    wrapped(box, context, w["hint"], icon="INFO", boxes=1)
        elif job.status == runtime.CANCELLED:
            layout.label(text="Cancelled: nothing was built", icon="CANCEL")
        else:
            e = job.error
            box = layout.box()
            box.alert = True
            wrapped(box, context, "%s: %s" % (e.code, e.message), icon="CANCEL", boxes=1)
            _state, _text, link_error = runtime.connection()
            if e.hint and not (link_error is not None and link_error.hint == e.hint):  # not twice in the tab
                wrapped(box, context, e.hint, icon="INFO", boxes=1)
            for c in e.details.get("checks", [])[1:]:
                wrapped(box, context, "%s: %s" % (c["code"], c["message"]), icon="BLANK1", boxes=1)
        if job.finished_at:
            took = "%.1f s, %s: " % (job.finished_at - job.started_at,
                                     time.strftime("%H:%M:%S", time.localtime(job.finished_at)))
            wrapped(layout, context, took + stages_text(job), icon="TIME")
