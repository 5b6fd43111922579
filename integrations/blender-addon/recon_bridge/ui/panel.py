import time

import bpy
from bpy.types import Panel

from .. import runtime
from ..core.link import CONNECTED, CONNECTING
from .menus import VIEW3D_MT_recon_commands, draw_commands

CATEGORY = "Face Recon"
VERDICT_ICONS = {"pass": "CHECKMARK", "warn": "ERROR", "fail": "CANCEL"}


def _chars(context, indent=60):
    """About how many characters fit on one label line in this region."""
    region = getattr(context, "region", None)
    width = getattr(region, "width", 0) or 300
    scale = (context.preferences.system.ui_scale if context.preferences else 0.0) or 1.0  # 0 in background mode
    return max(16, int((width - indent * scale) / (5.6 * scale)))


def _wrapped(layout, text, icon="NONE", width=40):
    """Labels do not wrap: split long text into lines of about ``width`` characters (long words are cut)."""
    words = []
    for w in text.split():
        while len(w) > width:
            words.append(w[:width])
            w = w[width:]
        words.append(w)
    line, first = "", True
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            layout.label(text=line, icon=icon if first else "BLANK1")
            line, first = w, False
        else:
            line = (line + " " + w) if line else w
    if line or first:
        layout.label(text=line, icon=icon if first else "BLANK1")


class _Base(object):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY


class VIEW3D_PT_recon(_Base, Panel):
    bl_idname = "VIEW3D_PT_recon"
    bl_label = "Face Recon"

    def draw(self, context):
        layout = self.layout
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
        col = box.column(align=True)
        col.scale_y = 0.8
        n = _chars(context)
        _wrapped(col, text, width=n)
        if err is not None and err.hint and state != CONNECTED:
            _wrapped(col, err.hint, icon="INFO", width=n)
        retry = runtime.retry_in()
        if retry is not None and state != CONNECTED:
            col.label(text="Retrying in %d s" % max(1, round(retry)), icon="TIME")
        if state not in (CONNECTED, CONNECTING):
            box.operator("recon.start_daemon", icon="PLAY")

        job = runtime.state.job
        col = layout.column()
        col.scale_y = 1.4
        col.operator_context = "INVOKE_DEFAULT"
        col.operator("recon.reconstruct_from_photo", text="Reconstruct from Photo…", icon="IMAGE_REFERENCE")
        if job is not None and job.running:
            box = layout.box()
            box.label(text=bpy.path.basename(job.photo), icon="IMAGE_DATA")
            label = "%s — %d%%" % (job.stage, round(job.fraction * 100))
            if hasattr(box, "progress"):  # Blender 4.0+
                box.progress(factor=job.fraction, type="BAR", text=label)
            else:  # Blender 3.x: a read-only percentage property drawn as a slider
                box.prop(context.window_manager, "recon_progress", text=job.stage, slider=True)
            box.operator("recon.cancel", icon="CANCEL")
        for _t, level, msg in runtime.state.messages[-2:]:
            _wrapped(layout, msg, icon="ERROR" if level in ("ERROR", "WARNING") else "INFO", width=_chars(context))


class VIEW3D_PT_recon_options(_Base, Panel):
    bl_idname = "VIEW3D_PT_recon_options"
    bl_label = "Options"
    bl_parent_id = "VIEW3D_PT_recon"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        opts = context.scene.recon_options
        layout.use_property_split = True
        layout.use_property_decorate = False
        col = layout.column()
        col.prop(opts, "size")
        col.prop(opts, "detail", slider=True)
        col.prop(opts, "face_index")
        col.prop(opts, "import_mesh")
        col.prop(opts, "force")
        layout.use_property_split = False
        layout.label(text="Outputs (besides structure map and mesh):")
        grid = layout.grid_flow(columns=3, even_columns=True, align=True)
        grid.prop(opts, "outputs")


class VIEW3D_PT_recon_result(_Base, Panel):
    bl_idname = "VIEW3D_PT_recon_result"
    bl_label = "Last Result"
    bl_parent_id = "VIEW3D_PT_recon"

    @classmethod
    def poll(cls, context):
        return runtime.state.last is not None

    def draw(self, context):
        layout = self.layout
        job = runtime.state.last
        n = _chars(context, indent=80)
        layout.label(text=bpy.path.basename(job.photo), icon="IMAGE_DATA")
        if job.status == runtime.COMPLETED:
            v = job.verdict or "done"
            layout.label(text="Verdict: %s" % v, icon=VERDICT_ICONS.get(v, "CHECKMARK"))
            _wrapped(layout, "Collection: %s" % job.result.collection, icon="OUTLINER_COLLECTION", width=n)
            for w in job.warnings:
                box = layout.box()
                _wrapped(box, "%s: %s" % (w["code"], w["message"]), icon="ERROR", width=n)
                if w.get("hint"):
                    _wrapped(box, w["hint"], icon="INFO", width=n)
        elif job.status == runtime.CANCELLED:
            layout.label(text="Cancelled: nothing was built", icon="CANCEL")
        else:
            e = job.error
            box = layout.box()
            box.alert = True
            _wrapped(box, "%s: %s" % (e.code, e.message), icon="CANCEL", width=n)
            if e.hint:
                _wrapped(box, e.hint, icon="INFO", width=n)
            for c in e.details.get("checks", [])[1:]:
                _wrapped(box, "%s: %s" % (c["code"], c["message"]), icon="BLANK1", width=n)
        if job.finished_at:
            layout.label(text="%.1f s, %s" % (job.finished_at - job.started_at, time.strftime("%H:%M:%S", time.localtime(job.finished_at))))


class VIEW3D_PT_recon_commands(_Base, Panel):
    bl_idname = "VIEW3D_PT_recon_commands"
    bl_label = "Plugin Commands"
    bl_parent_id = "VIEW3D_PT_recon"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        layout.menu(VIEW3D_MT_recon_commands.bl_idname, icon="PLUGIN")
        draw_commands(layout.column())
