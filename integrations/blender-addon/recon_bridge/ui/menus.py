from bpy.types import Menu

from .. import runtime


def draw_commands(layout):
    cmds = runtime.commands()
    if not cmds:
        layout.label(text="No plugin commands", icon="INFO")
    for c in cmds:
        op = layout.operator("recon.run_command", text=c["title"], icon="PLUGIN")
        op.command = c["command"]
        op.title = c["title"]
    layout.separator()
    layout.operator("recon.refresh_commands", icon="FILE_REFRESH")


class VIEW3D_MT_recon_commands(Menu):
    """Commands contributed by recon-daemon plugins"""

    bl_idname = "VIEW3D_MT_recon_commands"
    bl_label = "Plugin Commands"

    def draw(self, context):
        draw_commands(self.layout)


class VIEW3D_MT_recon_add(Menu):
    bl_idname = "VIEW3D_MT_recon_add"
    bl_label = "Face Recon"

    def draw(self, context):
        layout = self.layout
        layout.operator_context = "INVOKE_DEFAULT"
        layout.operator("recon.reconstruct_from_photo", text="Reconstruct from Photo…", icon="IMAGE_REFERENCE")
        layout.menu(VIEW3D_MT_recon_commands.bl_idname, icon="PLUGIN")


def draw_add_menu(self, context):
    self.layout.separator()
    self.layout.menu(VIEW3D_MT_recon_add.bl_idname, icon="IMAGE_REFERENCE")
