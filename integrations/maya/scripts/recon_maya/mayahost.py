# The one module that talks to Maya (maya.cmds, maya.mel, maya.utils): the Face Recon menu, the command the
# shelf button and the menu item run, the file dialog, the main progress bar, dialogs, the optionVars, and the
# scene a finished job becomes. Everything it computes comes from the plain-Python modules beside it (flow,
# layout, outputs, prefs, units, objfile), which are tested without Maya; this file only applies their numbers.
# It has not been run inside Maya (docs/maya.md says what has been checked and what the first run must check).
import math
import os

import maya.cmds as cmds
import maya.mel as mel
import maya.utils as mutils

from . import __version__, flow, layout, objfile, prefs
from .recon_client import discovery, errors, placement
from .recon_client.errors import ReconError

MENU = "faceReconMenu"
PREFS_WINDOW = "faceReconPrefsWindow"
TITLE = "Face Recon"
#: Attributes on what the module builds: the photo's path on the group (the group's name on the image plane), the
#: result's slot index and its front-view box (JSON, metres, relative to the slot) on the group.
ATTR_RESULT = "faceReconResult"
ATTR_SLOT = "faceReconSlot"
ATTR_BOX = "faceReconBox"
#: Shading nodes an OBJ import may add with face.mtl (its map_Kd, and map_Bump for the detail normal map); ours
#: replace them.
IMPORT_SHADING_TYPES = ("shadingEngine", "materialInfo", "lambert", "phong", "blinn", "file", "place2dTexture", "bump2d")
PHOTO_FILTER = "Photos (*.jpg *.jpeg *.png *.webp *.tif *.tiff *.avif *.heic *.heif *.gif);;All Files (*.*)"

_flow = None


# ---------------------------------------------------------------------------------------------------------
# Start-up, menu, entry points


def startup():
    """Called by the module's userSetup.py: the menu, once Maya's UI exists (nothing in batch mode)."""
    if cmds.about(batch=True):
        return
    mutils.executeDeferred(install_menu)


def install_menu():
    """Face Recon in the main menu bar (replaced if it exists, so reloading the module is harmless)."""
    if cmds.menu(MENU, exists=True):
        cmds.deleteUI(MENU, menu=True)
    main_window = mel.eval("$recon_tmp = $gMainWindow")
    cmds.menu(MENU, label=TITLE, parent=main_window, tearOff=True)
    cmds.menuItem(label="Reconstruct from photo…", annotation="Pick a photo; its face mesh and front-view structure map are added to the scene",
                  command=lambda *_: reconstruct_from_photo(), parent=MENU)
    cmds.menuItem(label="Cancel reconstruction", annotation="Stop the running reconstruction (or press Esc)",
                  command=lambda *_: cancel(), parent=MENU)
    cmds.menuItem(divider=True, parent=MENU)
    cmds.menuItem(label="Start Daemon", annotation="Run `recon-daemon start` with the command in the preferences",
                  command=lambda *_: start_daemon_now(), parent=MENU)
    cmds.menuItem(label="Preferences…", command=lambda *_: show_preferences(), parent=MENU)
    cmds.menuItem(label="About Face Recon", command=lambda *_: _about(), parent=MENU)


def get_flow():
    global _flow
    if _flow is None:
        _flow = flow.Flow(MayaHost())
    return _flow


def reconstruct_from_photo():
    """The shelf button's and the menu item's command."""
    f = get_flow()
    if f.running:
        f.host.report_busy()
        return False
    picked = cmds.fileDialog2(fileMode=1, caption="Reconstruct from photo", fileFilter=PHOTO_FILTER, dialogStyle=2,
                              okCaption="Reconstruct")
    if not picked:
        return False
    try:
        request = make_request(picked[0])
    except ReconError as e:
        f.host.report_error(None, e)
        return False
    return f.start(request)


def cancel():
    if not get_flow().cancel():
        cmds.warning("Face Recon: no reconstruction is running")


def make_request(photo, name=None, values=None):
    """A flow.Request for ``photo`` with the preferences (or ``values``) and the project's folder for its files."""
    if values is None:
        values, problems = prefs.load(OptionVarStore())
        for p in problems:
            cmds.warning("Face Recon: preference %s" % p)
    node = layout.node_name(name or os.path.splitext(os.path.basename(photo))[0])
    return flow.Request(photo, node, os.path.join(files_root(), node), values, cli=prefs.cli_command(values, _package_dir()))


def files_root():
    """<project>/<sourceImages rule>/FaceRecon: the job files live with the project, as textures do."""
    root = cmds.workspace(query=True, rootDirectory=True)
    images = cmds.workspace(fileRuleEntry="sourceImages") or "sourceimages"
    return os.path.join(root, images, "FaceRecon")


def reconstruct(photo, name=None, **values):
    """Scripts and mayapy: reconstruct ``photo`` and build its result in the calling (main) thread; returns the
    created nodes' names. ``values`` override preferences (size=512, view="camera", …). Raises ReconError."""
    stored, _ = prefs.load(OptionVarStore())
    for key, value in values.items():
        if key not in prefs.BY_KEY:
            raise ReconError("Unknown option %r" % key, errors.INVALID_OPTION, "Options: %s." % ", ".join(prefs.BY_KEY))
        stored[key] = prefs.BY_KEY[key].check(value)
    request = make_request(photo, name, stored)
    outcome = flow.execute(request)
    return build_result(request, outcome)


def start_daemon_now():
    values, _ = prefs.load(OptionVarStore())
    command = prefs.cli_command(values, _package_dir())

    def work():
        try:
            info = discovery.start_daemon(command)
            mutils.executeDeferred(lambda: cmds.inViewMessage(assistMessage="Face Recon: recon-daemon runs at %s" % info["url"],
                                                              position="topCenter", fade=True))
        except ReconError as e:
            mutils.executeDeferred(lambda: _error_dialog(e))

    import threading

    threading.Thread(target=work, name="recon-maya-start", daemon=True).start()


def _package_dir():
    return os.path.dirname(os.path.abspath(__file__))


def _about():
    cmds.confirmDialog(title=TITLE, button=["OK"], message=(
        "Face Recon %s: reconstruct a face mesh and its front-view structure map from one photo with the local "
        "recon-daemon.\n\nDocumentation: docs/maya.md in the recon-daemon repository." % __version__))


# ---------------------------------------------------------------------------------------------------------
# Preferences


class OptionVarStore(object):
    """prefs' store on Maya's optionVars (bools as ints)."""

    def get(self, name):
        if not cmds.optionVar(exists=name):
            return None
        return cmds.optionVar(query=name)

    def set(self, name, value):
        if isinstance(value, bool) or isinstance(value, int):
            cmds.optionVar(intValue=(name, int(value)))
        elif isinstance(value, float):
            cmds.optionVar(floatValue=(name, value))
        else:
            cmds.optionVar(stringValue=(name, str(value)))


def show_preferences():
    values, _ = prefs.load(OptionVarStore())
    if cmds.window(PREFS_WINDOW, exists=True):
        cmds.deleteUI(PREFS_WINDOW, window=True)
    cmds.window(PREFS_WINDOW, title="Face Recon Preferences", widthHeight=(560, 330))
    cmds.columnLayout(adjustableColumn=True, rowSpacing=4)
    fields = {}
    for p in prefs.SPEC:
        if p.kind == "bool":
            fields[p.key] = cmds.checkBoxGrp(label="", label1=p.label, value1=bool(values[p.key]), annotation=p.help)
        elif p.choices:
            fields[p.key] = cmds.optionMenuGrp(label=p.label, annotation=p.help)
            for c in p.choices:
                cmds.menuItem(label=c)
            cmds.optionMenuGrp(fields[p.key], edit=True, value=values[p.key])
        elif p.kind == "int":
            fields[p.key] = cmds.intFieldGrp(label=p.label, value1=values[p.key], annotation=p.help)
        elif p.kind == "float":
            fields[p.key] = cmds.floatFieldGrp(label=p.label, value1=values[p.key], annotation=p.help)
        else:
            fields[p.key] = cmds.textFieldGrp(label=p.label, text=values[p.key], annotation=p.help)
    cmds.text(label="Token file and URL empty: the daemon on this machine, found through its discovery and token files.", align="left")

    def read():
        out = {}
        for p in prefs.SPEC:
            f = fields[p.key]
            if p.kind == "bool":
                out[p.key] = cmds.checkBoxGrp(f, query=True, value1=True)
            elif p.choices:
                out[p.key] = cmds.optionMenuGrp(f, query=True, value=True)
            elif p.kind == "int":
                out[p.key] = cmds.intFieldGrp(f, query=True, value1=True)
            elif p.kind == "float":
                out[p.key] = cmds.floatFieldGrp(f, query=True, value1=True)
            else:
                out[p.key] = cmds.textFieldGrp(f, query=True, text=True)
        return out

    def on_save(*_):
        try:
            prefs.save(OptionVarStore(), read())
        except ReconError as e:
            _error_dialog(e)
            return
        cmds.deleteUI(PREFS_WINDOW, window=True)

    cmds.rowLayout(numberOfColumns=2)
    cmds.button(label="Save", command=on_save)
    cmds.button(label="Cancel", command=lambda *_: cmds.deleteUI(PREFS_WINDOW, window=True))
    cmds.setParent("..")
    cmds.showWindow(PREFS_WINDOW)


# ---------------------------------------------------------------------------------------------------------
# The host of a flow: progress bar, dialogs, the scene


def _main_progress_bar():
    return mel.eval("$recon_tmp = $gMainProgressBar")


def _error_dialog(e):
    text = e.message.rstrip(".") + "."
    if e.hint:
        text += "\n\n" + e.hint
    text += "\n\n(%s)" % e.code
    cmds.confirmDialog(title=TITLE, message=text, button=["OK"], defaultButton="OK", icon="critical")


class MayaHost(object):
    def defer(self, fn):
        mutils.executeDeferred(fn)

    def progress_begin(self, text):
        if cmds.about(batch=True):
            return
        cmds.progressBar(_main_progress_bar(), edit=True, beginProgress=True, isInterruptable=True, status=text, maxValue=100)

    def progress_update(self, text, fraction):
        if cmds.about(batch=True):
            return
        cmds.progressBar(_main_progress_bar(), edit=True, status=text, progress=int(round(100 * max(0.0, min(1.0, fraction)))))

    def progress_end(self):
        if cmds.about(batch=True):
            return
        cmds.progressBar(_main_progress_bar(), edit=True, endProgress=True)

    def cancel_requested(self):
        if cmds.about(batch=True):
            return False
        return bool(cmds.progressBar(_main_progress_bar(), query=True, isCancelled=True))

    def build(self, request, outcome):
        return build_result(request, outcome)

    def report_done(self, request, outcome, summary):
        for w in outcome.warnings:
            cmds.warning("Face Recon: %s: %s%s" % (w["code"], w["message"], (" — " + w["hint"]) if w["hint"] else ""))
        for note in outcome.choice.notes:
            cmds.warning("Face Recon: %s" % note)
        cmds.inViewMessage(assistMessage="Face Recon: built <hl>%s</hl> (%s)" % (request.name, outcome.verdict or "done"),
                           position="topCenter", fade=True)

    def report_error(self, request, error):
        _error_dialog(error)

    def report_cancelled(self, request):
        cmds.warning("Face Recon: cancelled, nothing was built")

    def report_busy(self):
        cmds.warning("Face Recon: a reconstruction is already running (Face Recon ▸ Cancel reconstruction stops it)")


# ---------------------------------------------------------------------------------------------------------
# The scene


def _existing_results():
    """name → (group, slot, box) of the results already in the scene, read from their attributes."""
    import json

    out = {}
    for node in cmds.ls("*." + ATTR_RESULT, objectsOnly=True, type="transform", recursive=True) or []:
        if not cmds.attributeQuery(ATTR_SLOT, node=node, exists=True):
            continue
        try:
            box = tuple(json.loads(cmds.getAttr(node + "." + ATTR_BOX)))
        except (ValueError, TypeError):
            continue
        out[node.split("|")[-1].split(":")[-1]] = (node, cmds.getAttr(node + "." + ATTR_SLOT), box)
    return out


def _owned_image_planes(group_name):
    """The image planes (transforms first, then shapes) the module made for this result. Listed by type, not by
    an attribute pattern: a camera's image planes live in its underworld (frontShape->imagePlane1)."""
    shapes = [n for n in (cmds.ls(type="imagePlane", long=True) or [])
              if cmds.attributeQuery(ATTR_RESULT, node=n, exists=True) and cmds.getAttr(n + "." + ATTR_RESULT) == group_name]
    return (cmds.listRelatives(shapes, parent=True, fullPath=True) or []) + shapes if shapes else []


def _tag(node, attr, value):
    if isinstance(value, float):
        cmds.addAttr(node, longName=attr, attributeType="double")
        cmds.setAttr(node + "." + attr, value)
    else:
        cmds.addAttr(node, longName=attr, dataType="string")
        cmds.setAttr(node + "." + attr, value, type="string")


def _material(name, texture, normal_map):
    shader = cmds.shadingNode("lambert", asShader=True, name=name + "_mat")
    cmds.setAttr(shader + ".diffuse", 1.0)
    group = cmds.sets(renderable=True, noSurfaceShader=True, empty=True, name=name + "_matSG")
    cmds.connectAttr(shader + ".outColor", group + ".surfaceShader", force=True)
    nodes = [shader, group]
    if texture:
        nodes += _file_texture(name + "_texture", texture, "sRGB", shader + ".color", "outColor")
    if normal_map:
        bump = cmds.shadingNode("bump2d", asUtility=True, name=name + "_normalMap")
        cmds.setAttr(bump + ".bumpInterp", 1)  # tangent-space normals
        nodes.append(bump)
        nodes += _file_texture(name + "_normalTexture", normal_map, "Raw", bump + ".bumpValue", "outAlpha")
        cmds.connectAttr(bump + ".outNormal", shader + ".normalCamera", force=True)
    return group, nodes


def _file_texture(name, path, color_space, destination, output):
    tex = cmds.shadingNode("file", asTexture=True, isColorManaged=True, name=name)
    place = cmds.shadingNode("place2dTexture", asUtility=True, name=name + "_place")
    cmds.connectAttr(place + ".outUV", tex + ".uvCoord", force=True)
    cmds.connectAttr(place + ".outUvFilterSize", tex + ".uvFilterSize", force=True)
    cmds.setAttr(tex + ".fileTextureName", path, type="string")
    cmds.setAttr(tex + ".colorSpace", color_space, type="string")
    cmds.connectAttr(tex + "." + output, destination, force=True)
    return [tex, place]


def _front_camera_shape():
    shapes = []
    if cmds.objExists("front"):
        shapes = cmds.listRelatives("front", shapes=True, type="camera", fullPath=True) or []
    if not shapes:
        raise ReconError("the scene has no `front` camera", errors.SCENE_BUILD_FAILED,
                         "The reference goes on an image plane of Maya's front camera; restore it (a new scene has it).")
    return shapes[0]


def _delete(nodes):
    for n in nodes:
        if cmds.objExists(n):
            cmds.delete(n)


def build_result(request, outcome):
    """Make the scene for a finished job, as one undo step: group "<name>_faceRecon" with the mesh "<name>_face"
    (its texture in a lambert), and a fixed image plane "<name>_reference" of the `front` camera showing the
    structure map, placed by layout.plan. A photo reconstructed again replaces its result, in its slot. If a step
    fails, the undo step is undone (or, with undo off, what was made is deleted) and ReconError(SCENE_BUILD_FAILED)
    raised: the scene is as it was. Returns [group, mesh, image plane]."""
    import json

    choice = outcome.choice
    unit = cmds.currentUnit(query=True, linear=True)
    up = cmds.upAxis(query=True, axis=True).lower()
    existing = _existing_results()
    group_name = request.name + "_faceRecon"
    previous = existing.pop(group_name, None)
    taken = [layout.world_box(box, placement.slot_x(int(round(slot)))) for _node, slot, box in existing.values()]
    bounds = objfile.bounds(choice.mesh)
    plan = layout.plan(outcome.saved.result, bounds, unit, up, taken, slot=int(round(previous[1])) if previous else None)
    camera = _front_camera_shape()

    created = []
    undo_on = cmds.undoInfo(query=True, state=True)
    cmds.undoInfo(openChunk=True, chunkName="Face Recon: %s" % request.name)
    failed = None
    try:
        if not cmds.pluginInfo("objExport", query=True, loaded=True):
            cmds.loadPlugin("objExport", quiet=True)
        new_nodes = cmds.file(choice.mesh, i=True, type="OBJ", ignoreVersion=True, options="mo=0", returnNewNodes=True) or []
        created.extend(new_nodes)
        shapes = cmds.ls(new_nodes, type="mesh", long=True) or []
        transforms = sorted(set(cmds.listRelatives(shapes, parent=True, fullPath=True) or []))
        if len(transforms) != 1:
            raise ReconError("the OBJ import made %d meshes, expected 1" % len(transforms), errors.SCENE_BUILD_FAILED,
                             "See the Script Editor for what Maya reported.")
        _delete(cmds.ls(new_nodes, type=list(IMPORT_SHADING_TYPES)) or [])  # face.mtl's; ours follows
        bb = cmds.exactWorldBoundingBox(transforms[0])
        scale = layout.import_scale(bounds, bb[0:3], bb[3:6], plan.units_per_metre)

        group = cmds.group(empty=True, name=group_name, world=True)
        created.append(group)
        mesh = cmds.parent(transforms[0], group)[0]
        mesh = cmds.rename(mesh, request.name + "_face")
        cmds.setAttr(mesh + ".scale", scale, scale, scale, type="double3")
        cmds.makeIdentity(mesh, apply=True, scale=True)
        # xform takes angles in the scene's angular unit (degrees unless the user chose radians).
        radians = cmds.currentUnit(query=True, angle=True).lower().startswith("rad")
        rotation = tuple(math.radians(a) for a in plan.group_rotate) if radians else plan.group_rotate
        cmds.xform(group, worldSpace=True, translation=plan.group_translate, rotation=rotation)
        shading_group, shading_nodes = _material(request.name, choice.texture, choice.normal_map)
        created.extend(shading_nodes)
        cmds.sets(mesh, edit=True, forceElement=shading_group)
        if request.values.get("xray"):
            cmds.displaySurface(mesh, xRay=True)  # viewport only: the reference shows through; renders are untouched
        _tag(group, ATTR_RESULT, request.photo)
        _tag(group, ATTR_SLOT, float(plan.slot))
        _tag(group, ATTR_BOX, json.dumps(list(plan.box)))

        if previous is not None:  # the photo's earlier result goes; the new one takes its names and its slot
            _delete([previous[0]] + _owned_image_planes(group_name))
            group = cmds.rename(group, group_name)
            mesh = cmds.rename(cmds.listRelatives(group, children=True, type="transform", fullPath=True)[0], request.name + "_face")
        plane_transform, plane = cmds.imagePlane(camera=camera, fileName=choice.reference, name=request.name + "_reference")[:2]
        created.extend([plane_transform, plane])
        cmds.setAttr(plane + ".lockedToCamera", 0)  # fixed: stays under the mesh as the view pans and zooms
        cmds.setAttr(plane + ".imageCenter", plan.image_center[0], plan.image_center[1], plan.image_center[2], type="double3")
        cmds.setAttr(plane + ".width", plan.image_width)
        cmds.setAttr(plane + ".height", plan.image_height)
        cmds.setAttr(plane + ".fit", 4)  # To Size: the square map fills width × height
        cmds.setAttr(plane + ".displayOnlyIfCurrent", 1)  # drawn when looking through `front`
        _tag(plane, ATTR_RESULT, group_name)

        cmds.select(group, replace=True)
        if request.values.get("frame") and not cmds.about(batch=True):
            cmds.viewFit(camera, fitFactor=0.8)
        return [group, mesh, plane]
    except Exception as e:
        failed = e
        raise (e if isinstance(e, ReconError) else
               ReconError("building the scene failed: %s" % e, errors.SCENE_BUILD_FAILED, "Nothing was added to the scene."))
    finally:
        cmds.undoInfo(closeChunk=True)
        if failed is not None and created:  # nothing created: the chunk is empty, and undo would undo the user's last step
            if undo_on:
                cmds.undo()  # the whole chunk: imports, deletions, renames
            else:
                _delete(created)
