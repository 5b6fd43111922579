# Per-scene reconstruction options (saved with the .blend), shown in the sidebar's Options panel.
import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty
from bpy.types import PropertyGroup

OUTPUT_ITEMS = (
    ("crop", "Crop", "The photo, aligned with the structure map (loaded as an image)"),
    ("depth", "Depth", "16-bit depth map, nearer = brighter (loaded as a Non-Color image)"),
    ("normal", "Normal", "Normal map in mesh space (loaded as a Non-Color image)"),
    ("mask", "Mask", "Face coverage (loaded as a Non-Color image)"),
    ("obj", "OBJ", "Also write face.obj + face.mtl + texture.png in the job folder"),
    ("overlay", "Overlay", "Also write overlay.png (the photo with the detected points) in the job folder"),
)


class RECON_PG_options(PropertyGroup):
    outputs: EnumProperty(
        name="Outputs",
        description="Extra outputs besides the structure map (always: it becomes the reference image) and the mesh",
        items=OUTPUT_ITEMS,
        options={"ENUM_FLAG"},
        default={"crop", "depth", "normal"},
    )
    size: IntProperty(
        name="Size", description="Side of the structure map and other images, pixels (128–1024)",
        default=256, min=128, max=1024, step=64, subtype="PIXEL",
    )
    detail: FloatProperty(
        name="Detail", description="Share of the photo's fine detail (wrinkles, lip line) in the structure map",
        default=0.5, min=0.0, max=1.0, subtype="FACTOR",
    )
    face_index: IntProperty(
        name="Face", description="Which face to reconstruct when the photo has several: 0 = the largest, 1 = the next…",
        default=0, min=0, max=99,
    )
    import_mesh: BoolProperty(
        name="Import Mesh",
        description="Import the reconstructed face mesh (face.glb: a face mask from forehead to chin, no back of the head, "
                    "ears or neck) aligned with the reference image",
        default=True,
    )
    frame_result: BoolProperty(
        name="Frame Result",
        description="When the result is built, switch the 3D View you started from to the Front view, framed on it",
        default=True,
    )
    force: BoolProperty(
        name="Build on Failed Verdict",
        description="Build the scene even when the quality verdict is fail (the outputs may be misleading)",
        default=False,
    )

    def to_options(self):
        """The keyword options of recon_bridge.api.reconstruct for these settings."""
        opts = {
            "outputs": sorted(self.outputs),
            "size": int(self.size),
            "detail": round(float(self.detail), 4),
            "import_mesh": bool(self.import_mesh),
        }
        if self.face_index:
            opts["face"] = int(self.face_index)
        if self.force:
            opts["force"] = True
        return opts


classes = (RECON_PG_options,)


def _progress(self):
    from . import runtime

    job = runtime.state.job
    return 100.0 * job.fraction if job is not None else 0.0


def _ignore(self, value):
    """Writable but inert: a read-only property is drawn greyed out, and this one is the progress bar."""


def register_properties():
    bpy.types.Scene.recon_options = PointerProperty(type=RECON_PG_options)
    # Read-only: the running job's progress, for the panel's bar on Blender 3.x (4.0+ has layout.progress).
    bpy.types.WindowManager.recon_progress = FloatProperty(
        name="Progress", subtype="PERCENTAGE", min=0.0, max=100.0, precision=0, get=_progress, set=_ignore,
        options={"SKIP_SAVE"})


def unregister_properties():
    for owner, name in ((bpy.types.WindowManager, "recon_progress"), (bpy.types.Scene, "recon_options")):
        try:
            delattr(owner, name)
        except AttributeError:
            pass
