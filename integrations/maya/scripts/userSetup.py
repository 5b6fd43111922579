# Maya runs every module's scripts/userSetup.py at start-up: this one adds the Face Recon menu (once the UI
# exists; nothing in batch mode). The shelf comes from shelves/shelf_FaceRecon.mel (MAYA_SHELF_PATH, see
# recon_maya.mod). Kept to Python that Maya's Python 2 mode can still read, so it can say why it does nothing.
import sys

if sys.version_info[0] < 3:
    sys.stdout.write("Face Recon: needs Maya 2022 or newer running Python 3; the module is not loaded.\n")
else:
    try:
        from recon_maya import mayahost

        mayahost.startup()
    except Exception as e:  # never break Maya's start-up
        sys.stdout.write("Face Recon: the module could not start: %r\n" % (e,))
