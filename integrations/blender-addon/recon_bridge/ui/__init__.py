# The sidebar tab and the menus: drawing only; every action is an operator.
from .menus import VIEW3D_MT_recon_add, VIEW3D_MT_recon_commands, draw_add_menu
from .panel import VIEW3D_PT_recon, VIEW3D_PT_recon_commands, VIEW3D_PT_recon_options, VIEW3D_PT_recon_result

classes = (
    VIEW3D_MT_recon_commands,
    VIEW3D_MT_recon_add,
    VIEW3D_PT_recon,
    VIEW3D_PT_recon_options,
    VIEW3D_PT_recon_commands,
    VIEW3D_PT_recon_result,  # last: the panel that grows, with nothing below it
)


def register_menus():
    import bpy

    bpy.types.VIEW3D_MT_add.append(draw_add_menu)


def unregister_menus():
    import bpy

    bpy.types.VIEW3D_MT_add.remove(draw_add_menu)
