"""The Maya module's logic that does not need Maya, in plain Python (Debian's python3), against the real daemon
that test/maya.test.ts started: units, the image-plane placement maths (checked on the daemon's own OBJ and
structure map), result slots, which files a result uses, preferences, the job flow (on a worker thread, with a
recording host in place of Maya: progress, cancel, errors with hints, the files in the project), and that every
Maya call is in mayahost.py with flags from Autodesk's command reference.

Environment: RECON_REPO, RECON_TEST_URL, RECON_TEST_TOKEN (the daemon's), RECON_TEST_MODULE (the scripts folder of
a module built by `recon-daemon install-addon maya`), RECON_TEST_CLI (a command line that runs recon-daemon)."""
import ast
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zlib

REPO = os.environ.get("RECON_REPO") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPTS = os.path.join(REPO, "integrations", "maya", "scripts")
sys.path.insert(0, SCRIPTS)

import recon_maya  # noqa: E402  (loads integrations/python/recon_client as recon_maya.recon_client)
from recon_maya import flow, layout, objfile, outputs, prefs, units  # noqa: E402
from recon_maya.recon_client import discovery, frames, host, jobs  # noqa: E402
from recon_maya.recon_client.client import ReconClient  # noqa: E402
from recon_maya.recon_client.errors import ReconError  # noqa: E402

FACES = os.path.join(os.path.dirname(REPO), "shared", "faces", "cases")
PORTRAIT = os.path.join(FACES, "control_obama_official_portrait.jpg")
TURNED = os.path.join(FACES, "cameraman_greyscale.png")
NO_FACE = os.path.join(FACES, "negative_coffee.png")
K256 = 0.063 / (0.28 * 256)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_gray_png(path):
    """(width, height, rows) of an 8-bit grayscale PNG (what the daemon writes for structure.png)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w, h = 8, b"", None, None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert (depth, ctype) == (8, 0), (depth, ctype)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    rows, prev = [], bytearray(w)
    for y in range(h):
        f, line = raw[y * (w + 1)], bytearray(raw[y * (w + 1) + 1:(y + 1) * (w + 1)])
        for x in range(w):
            a = line[x - 1] if x else 0
            b = prev[x]
            c = prev[x - 1] if x else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows


def obj_vertices(path):
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("v "):
                out.append(tuple(float(v) for v in line.split()[1:4]))
    return out


def plane_pixel(plan, world_point):
    """Where a world point (scene units) falls on the image plane, in map pixels (u right, v down): the plane is
    drawn centred on imageCenter, width × height, facing the front camera (image right = +X, image up = the scene's
    up axis). Its depth (along the camera's axis) does not change what the camera sees."""
    up = 1 if plan.up_axis == "y" else 2
    u = ((world_point[0] - plan.image_center[0]) / plan.image_width + 0.5) * plan.size
    v = (0.5 - (world_point[up] - plan.image_center[up]) / plan.image_height) * plan.size
    return u, v


def mesh_world(plan, p, scale=None):
    """A face.obj vertex (metres) where mayahost puts it: scaled to scene units, turned for Z-up, moved to the slot."""
    s = plan.units_per_metre if scale is None else scale
    q = layout.y_up_to_scene((p[0] * s, p[1] * s, p[2] * s), plan.up_axis)
    return tuple(q[i] + plan.group_translate[i] for i in range(3))


# ---------------------------------------------------------------------------------------------------------
# Pure parts


class UnitsTest(unittest.TestCase):
    def test_maya_units_in_short_and_full_names(self):
        self.assertEqual(units.units_per_metre("cm"), 100.0)  # Maya's default
        self.assertEqual(units.units_per_metre("centimeter"), 100.0)
        self.assertEqual(units.units_per_metre("m"), 1.0)
        self.assertEqual(units.units_per_metre("mm"), 1000.0)
        self.assertAlmostEqual(units.units_per_metre("in"), 39.37007874, places=6)
        self.assertAlmostEqual(units.units_per_metre("foot"), 3.280839895, places=6)
        self.assertEqual(units.to_scene(0.063, "cm"), 6.3)
        self.assertEqual(units.to_scene((0.1, 0.2, 0.3), "m"), (0.1, 0.2, 0.3))
        with self.assertRaises(ValueError) as e:
            units.units_per_metre("furlong")
        self.assertIn("Expected a Maya linear unit", str(e.exception))


class LayoutTest(unittest.TestCase):
    RESULT = {"alignment": {"size": 256, "metresPerPixel": K256}}

    class Bounds(objfile.ObjBounds):
        def __init__(self, lo=(-0.07, -0.12, -0.05), hi=(0.07, 0.08, 0.05)):
            super().__init__(lo, hi, 3)

    def test_the_reference_square_is_0_225_m_wide_centred_0_1_s_k_below_the_pupils(self):
        for size in (128, 256, 1024):
            s, k, extent, cy = layout.reference_square({"alignment": {"size": size}})  # k from the formula
            self.assertAlmostEqual(extent, 0.225, places=12)
            self.assertAlmostEqual(cy, -0.1 * size * k, places=12)

    def test_in_centimetres_y_up_the_plane_is_22_5_cm_wide_behind_the_face(self):
        p = layout.plan(self.RESULT, self.Bounds(), "cm", "y")
        self.assertEqual((p.slot, p.slot_x), (0, 0.0))
        self.assertAlmostEqual(p.image_width, 22.5, places=9)
        self.assertAlmostEqual(p.image_height, 22.5, places=9)
        self.assertAlmostEqual(p.image_center[0], 0.0, places=9)
        self.assertAlmostEqual(p.image_center[1], -2.25, places=9)
        self.assertAlmostEqual(p.image_center[2], -(0.05 + layout.REFERENCE_GAP) * 100, places=9)
        self.assertEqual(p.group_translate, (0.0, 0.0, 0.0))
        self.assertEqual(p.group_rotate, (0.0, 0.0, 0.0))

    def test_in_metres_and_inches_only_the_numbers_change(self):
        m = layout.plan(self.RESULT, self.Bounds(), "m", "y")
        i = layout.plan(self.RESULT, self.Bounds(), "in", "y")
        self.assertAlmostEqual(m.image_width, 0.225, places=12)
        self.assertAlmostEqual(i.image_width, 0.225 / 0.0254, places=9)
        self.assertAlmostEqual(i.image_center[1], -0.0225 / 0.0254, places=9)

    def test_z_up_turns_the_group_and_puts_the_plane_behind_along_plus_y(self):
        p = layout.plan(self.RESULT, self.Bounds(), "cm", "z")
        self.assertEqual(p.group_rotate, (90.0, 0.0, 0.0))
        self.assertAlmostEqual(p.image_center[1], (0.05 + layout.REFERENCE_GAP) * 100, places=9)  # behind: +Y
        self.assertAlmostEqual(p.image_center[2], -2.25, places=9)  # height is Z
        # The mesh's nose (+Z in the file) ends up towards −Y, the Z-up front camera's side.
        self.assertLess(mesh_world(p, (0, 0, 0.05))[1], 0)
        with self.assertRaises(ValueError):
            layout.plan(self.RESULT, self.Bounds(), "cm", "x")

    def test_results_go_side_by_side_and_a_wide_mesh_takes_the_room_it_needs(self):
        first = layout.plan(self.RESULT, self.Bounds(), "cm", "y")
        taken = [layout.world_box(first.box, first.slot_x)]
        second = layout.plan(self.RESULT, self.Bounds(), "cm", "y", taken)
        self.assertEqual(second.slot, 1)
        self.assertAlmostEqual(second.group_translate[0], 30.0, places=9)  # 0.3 m
        self.assertAlmostEqual(second.image_center[0], 30.0, places=9)
        wide = layout.plan(self.RESULT, self.Bounds((-0.2, -0.12, -0.05), (0.2, 0.08, 0.05)), "cm", "y", taken)
        self.assertEqual(wide.slot, 2)  # its mesh reaches beyond its image: slot 1 would touch the first result
        again = layout.plan(self.RESULT, self.Bounds(), "cm", "y", taken, slot=0)  # a photo reconstructed again
        self.assertEqual(again.slot, 0)

    def test_the_import_scale_makes_metres_scene_units_whatever_the_importer_did(self):
        b = self.Bounds()
        # An importer that took the numbers as they are (0.14 scene units wide in a cm scene): ×100.
        self.assertAlmostEqual(layout.import_scale(b, b.min, b.max, 100.0), 100.0, places=9)
        # One that converted metres to centimetres itself: ×1.
        scaled = (tuple(v * 100 for v in b.min), tuple(v * 100 for v in b.max))
        self.assertAlmostEqual(layout.import_scale(b, scaled[0], scaled[1], 100.0), 1.0, places=9)
        # One that turned or squashed the mesh: refused.
        with self.assertRaises(ReconError) as e:
            layout.import_scale(b, (-0.07, -0.05, -0.12), (0.07, 0.05, 0.08), 100.0)
        self.assertEqual(e.exception.code, "SCENE_BUILD_FAILED")
        self.assertIn("proportions", e.exception.message)

    def test_node_names_are_safe_for_maya(self):
        self.assertEqual(layout.node_name("control_obama_official_portrait"), "control_obama_official_portrait")
        self.assertEqual(layout.node_name("ana (2).final"), "ana__2__final")
        self.assertEqual(layout.node_name("2024-05 selfie"), "photo_2024_05_selfie")
        self.assertEqual(layout.node_name("фото"), "photo")
        self.assertEqual(len(layout.node_name("x" * 200)), 60)


class OutputsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="recon-maya-outputs-")
        for name in ("face.obj", "face.mtl", "texture.png", "structure.png", "front-structure.png"):
            open(os.path.join(self.dir, name), "w").close()
        with open(os.path.join(self.dir, "face.mtl"), "w") as f:
            f.write("newmtl face\nmap_Kd texture.png\n")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def files(self, *kinds):
        names = {"obj": "face.obj", "mtl": "face.mtl", "texture": "texture.png", "structure": "structure.png",
                 "front-structure": "front-structure.png", "result": "result.json"}
        return {k: os.path.join(self.dir, names[k]) for k in kinds}

    def test_a_daemon_with_the_front_view_gives_the_front_map_under_the_head_frame_mesh(self):
        r = {"mesh": {"view": "front"}, "outputs": {}}
        c = outputs.choose(r, self.files("obj", "texture", "structure", "front-structure"))
        self.assertEqual((c.view, c.reference_kind, os.path.basename(c.reference)), ("front", "front-structure", "front-structure.png"))
        self.assertEqual(c.notes, [])
        # The camera-view preference: the daemon made a camera-view mesh, its map is structure.png.
        c = outputs.choose({"mesh": {"view": "camera"}}, self.files("obj", "texture", "structure", "front-structure"), "camera")
        self.assertEqual((c.view, c.reference_kind), ("camera", "structure"))

    def test_a_daemon_before_the_front_view_falls_back_to_structure_and_says_so(self):
        r = {"mesh": {"units": "metres"}}  # no mesh.view: a camera-view mesh
        c = outputs.choose(r, self.files("obj", "texture", "structure"))
        self.assertEqual((c.view, c.reference_kind, os.path.basename(c.reference)), ("camera", "structure", "structure.png"))
        self.assertEqual(len(c.notes), 1)
        self.assertIn("no front view", c.notes[0])

    def test_a_missing_map_of_the_meshs_view_uses_the_other_with_a_note_and_no_mesh_is_an_error(self):
        c = outputs.choose({"mesh": {"view": "front"}}, self.files("obj", "mtl", "structure"))
        self.assertEqual(c.reference_kind, "structure")
        self.assertIn("will not line up", c.notes[0])
        self.assertEqual(os.path.basename(c.texture), "texture.png")  # found through face.mtl's map_Kd
        with self.assertRaises(ReconError) as e:
            outputs.choose({"mesh": {"view": "front"}}, self.files("structure"))
        self.assertEqual(e.exception.code, "MISSING_OUTPUT")
        with self.assertRaises(ReconError) as e:
            outputs.choose({"mesh": {"view": "front"}}, self.files("obj"))
        self.assertEqual(e.exception.code, "MISSING_OUTPUT")

    def test_the_view_is_asked_for_only_by_a_client_that_knows_views(self):
        self.assertEqual(outputs.daemon_view_option("front", ("front", "camera")), {"view": "front"})
        self.assertEqual(outputs.daemon_view_option("camera", ("front", "camera")), {"view": "camera"})
        self.assertEqual(outputs.daemon_view_option("camera", ()), {})  # a client (and daemon) before the front view


class Store(dict):
    def get(self, name):
        return dict.get(self, name)

    def set(self, name, value):
        self[name] = value


class PrefsTest(unittest.TestCase):
    def test_defaults_from_an_empty_store(self):
        values, problems = prefs.load(Store())
        self.assertEqual(problems, [])
        self.assertEqual(values, {"daemonUrl": "", "tokenFile": "", "autoStart": 0, "cliCommand": "", "view": "front", "size": 256,
                                  "detail": 0.5, "xray": 1, "frame": 1, "jobTimeout": 120.0})
        self.assertEqual(sorted(p.option_var for p in prefs.SPEC)[0], "faceRecon_autoStart")

    def test_unusable_stored_values_fall_back_to_their_defaults_and_say_so(self):
        values, problems = prefs.load(Store(faceRecon_size=5000, faceRecon_view="side", faceRecon_detail=0.25))
        self.assertEqual((values["size"], values["view"], values["detail"]), (256, "front", 0.25))
        self.assertEqual(len(problems), 2)
        self.assertTrue(any("Expected integer 128–1024 for Size but received 5000 (the default, 256, is used)" == p for p in problems), problems)
        self.assertTrue(any("Expected one of front, camera for View but received 'side'" in p for p in problems), problems)

    def test_save_checks_everything_first_with_the_daemons_wording_and_stores_all_or_nothing(self):
        s = Store()
        with self.assertRaises(ReconError) as e:
            prefs.save(s, {"size": 512, "detail": 2})
        self.assertEqual(e.exception.code, "INVALID_OPTION")
        self.assertEqual(e.exception.message, "Expected number 0–1 for Detail but received 2")
        self.assertEqual(s, {})
        with self.assertRaises(ReconError) as e:
            prefs.save(s, {"daemonUrl": "http://127.0.0.1:47613/"})
        self.assertIn("ws:// or wss://", e.exception.message)
        prefs.save(s, {"size": 512, "autoStart": True, "view": "camera", "daemonUrl": " ws://127.0.0.1:1/ "})
        self.assertEqual(s, {"faceRecon_size": 512, "faceRecon_autoStart": 1, "faceRecon_view": "camera", "faceRecon_daemonUrl": "ws://127.0.0.1:1/"})

    def test_the_token_file_and_the_command_that_starts_the_daemon(self):
        with tempfile.TemporaryDirectory() as d:
            tf = os.path.join(d, "token")
            with open(tf, "w") as f:
                f.write("ab" * 32 + "\n")
            self.assertEqual(prefs.endpoint({"daemonUrl": "ws://127.0.0.1:9/", "tokenFile": tf}), ("ws://127.0.0.1:9/", "ab" * 32))
            self.assertEqual(prefs.endpoint({"daemonUrl": "", "tokenFile": ""}), (None, None))
            with self.assertRaises(ReconError) as e:
                prefs.endpoint({"tokenFile": os.path.join(d, "missing")})
            self.assertIn("no token in", e.exception.message)
            with open(os.path.join(d, "install.json"), "w") as f:
                json.dump({"cli": "/opt/node /opt/recon/bin/recon-daemon.js"}, f)
            self.assertEqual(prefs.cli_command({"cliCommand": ""}, d), "/opt/node /opt/recon/bin/recon-daemon.js")
            self.assertEqual(prefs.cli_command({"cliCommand": "recon-daemon"}, d), "recon-daemon")

    def test_request_options_are_checked_before_anything_is_sent(self):
        values, _ = prefs.load(Store())
        r = flow.Request(PORTRAIT, "p", "/tmp/x/p", dict(values, size=512))
        self.assertEqual(r.options, {"size": 512, "detail": 0.5, "view": "front"})  # no outputs: the daemon's default set
        self.assertEqual(flow.Request(PORTRAIT, "p", "/tmp/x/p", dict(values, view="camera")).options["view"], "camera")
        with self.assertRaises(ReconError) as e:
            flow.Request(PORTRAIT, "p", "/tmp/x/p", dict(values, size=2000))
        self.assertEqual(e.exception.message, "Expected integer 128–1024 for size but received 2000")
        with self.assertRaises(ReconError) as e:
            flow.Request("/nonexistent.jpg", "p", "/tmp/x/p", values)
        self.assertEqual(e.exception.code, "FILE_NOT_FOUND")


class HintsTest(unittest.TestCase):
    def test_the_shared_clients_hints_name_the_maya_menu(self):
        self.assertIn("Face Recon ▸ Start Daemon", host.text("not_running_hint"))
        self.assertIn("install-addon maya", host.text("cli_setting"))
        # The client the module uses is the shared one, under the module's own name.
        self.assertEqual(os.path.realpath(recon_maya.recon_client.__file__),
                         os.path.realpath(os.path.join(REPO, "integrations", "python", "recon_client", "__init__.py")))


# ---------------------------------------------------------------------------------------------------------
# With the real daemon


class RecordingHost(object):
    """flow's host without Maya: defer() queues for the test's "main thread" (pump), the rest is recorded."""

    def __init__(self, cancel_when=None):
        self.queue = []
        self.lock = threading.Lock()
        self.events = []
        self.progress = []
        self.main = threading.current_thread()
        self.cancel_when = cancel_when  # stage after which cancel_requested() says yes
        self.built = None
        self.ended = threading.Event()

    def defer(self, fn):
        with self.lock:
            self.queue.append(fn)

    def pump(self, until, timeout=120.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                batch, self.queue[:] = list(self.queue), []
            for fn in batch:
                fn()
            if until():
                return
            time.sleep(0.01)
        raise AssertionError("timed out; events: %r" % (self.events,))

    def _main(self):
        assert threading.current_thread() is self.main, "a host method ran off the main thread"

    def progress_begin(self, text):
        self._main()
        self.events.append(("begin", text))

    def progress_update(self, text, fraction):
        self._main()
        self.progress.append((text, fraction))

    def progress_end(self):
        self._main()
        self.events.append(("end",))

    def cancel_requested(self):
        self._main()
        return bool(self.cancel_when) and any((" %s " % self.cancel_when) in t for t, _ in self.progress)

    def build(self, request, outcome):
        self._main()
        self.built = outcome
        self.events.append(("build", request.name))
        return "built"

    def report_done(self, request, outcome, summary):
        self.events.append(("done", summary))
        self.ended.set()

    def report_error(self, request, error):
        self.events.append(("error", error.code, error.message, error.hint))
        self.ended.set()

    def report_cancelled(self, request):
        self.events.append(("cancelled",))
        self.ended.set()

    def report_busy(self):
        self.events.append(("busy",))


class FlowTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="recon-maya-flow-")
        self.values, _ = prefs.load(Store())

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def run_flow(self, photo, values=None, name="face", cancel_when=None):
        h = RecordingHost(cancel_when)
        f = flow.Flow(h)
        req = flow.Request(photo, name, os.path.join(self.root, "sourceimages", "FaceRecon", name), values or self.values)
        self.assertTrue(f.start(req))
        self.assertTrue(f.running)
        h.pump(lambda: h.ended.is_set() and not f.running)
        return h, f, req

    def test_a_photo_becomes_files_in_the_project_with_progress_off_the_main_thread_then_the_build(self):
        h, f, req = self.run_flow(PORTRAIT)
        self.assertEqual(h.events[0], ("begin", "Face Recon: connecting…"))
        self.assertEqual([e[0] for e in h.events[1:]], ["end", "build", "done"])
        stages = [t.split()[3] for t, _ in h.progress]  # "Face Recon: <photo> <stage> (NN%)"
        self.assertEqual(stages[0], "connecting")
        self.assertIn("render", stages)
        self.assertEqual(stages[-1], "fetching")
        fractions = [fr for _t, fr in h.progress]
        self.assertEqual(fractions[-1], 1.0)
        o = h.built
        self.assertEqual(o.verdict, "pass")
        self.assertEqual(o.saved.dir, req.folder)
        listed = set(o.saved.result["outputs"].values())
        self.assertEqual(set(os.listdir(req.folder)), listed)  # every file of the job, nothing else
        self.assertEqual(os.listdir(os.path.dirname(req.folder)), ["face"])  # no staging folder left
        # The files the scene uses, chosen from result.json: the head-frame mesh (the front view, the daemon's
        # default) and the front-view structure map; the detail normal map when the daemon writes one.
        self.assertEqual(outputs.mesh_view(o.saved.result), "front")
        self.assertEqual((o.choice.view, o.choice.reference_kind), ("front", "front-structure"))
        self.assertEqual(os.path.basename(o.choice.reference), "front-structure.png")
        self.assertEqual(o.choice.notes, [])
        if "textureNormal" in o.saved.result["outputs"]:
            self.assertEqual(os.path.basename(o.choice.normal_map), "texture-normal.png")
        self.assertTrue(o.choice.reference.startswith(req.folder))
        self.assertEqual(os.path.basename(o.choice.mesh), "face.obj")
        self.assertEqual(os.path.basename(o.choice.texture), "texture.png")
        self.placement_lines_up(o)

    def placement_lines_up(self, o):
        """The image-plane placement maths on the daemon's own files: every vertex of face.obj, placed as mayahost
        places it, lands inside the image plane on a face pixel of the structure map; the eyes land on the map's
        eye row, 0.28·S apart — in centimetres Y-up, metres Y-up and centimetres Z-up, in slot 0 and slot 2."""
        w, h, rows = read_gray_png(o.choice.reference)
        bounds = objfile.bounds(o.choice.mesh)
        verts = obj_vertices(o.choice.mesh)
        self.assertEqual(len(verts), bounds.vertices)
        eyes = o.saved.result["mesh"]["eyeCentres"]
        for unit, up, slot in (("cm", "y", 0), ("m", "y", 2), ("cm", "z", 1)):
            plan = layout.plan(o.saved.result, bounds, unit, up, slot=slot)
            self.assertEqual(plan.size, w)
            on_face = 0
            for p in verts:
                u, v = plane_pixel(plan, mesh_world(plan, p))
                self.assertTrue(0 <= u < w and 0 <= v < h, (unit, up, p, u, v))
                # On the face: a pixel within one of the vertex is not background (silhouette vertices sit on its edge).
                on_face += max(rows[min(h - 1, max(0, int(v) + dv))][min(w - 1, max(0, int(u) + du))]
                               for du in (-1, 0, 1) for dv in (-1, 0, 1)) > 0
                # The mesh is in front of the plane (towards the front camera).
                depth_axis = 2 if up == "y" else 1
                sign = 1 if up == "y" else -1
                self.assertGreater(sign * (mesh_world(plan, p)[depth_axis] - plan.image_center[depth_axis]), 0)
            self.assertGreater(on_face / len(verts), 0.99, (unit, up))
            (lu, lv), (ru, rv) = (plane_pixel(plan, mesh_world(plan, e)) for e in eyes)
            self.assertAlmostEqual(lv, 0.4 * w, delta=0.01 * w)
            self.assertAlmostEqual(rv, 0.4 * w, delta=0.01 * w)
            self.assertAlmostEqual(ru - lu, 0.28 * w, delta=0.01 * w)
            self.assertAlmostEqual((lu + ru) / 2, 0.5 * w, delta=0.025 * w)  # around the centre line (as Blender's test)
        # Control: a plane centred on the pupils (forgetting the map's 0.1·S offset) puts the eyes off their row.
        plan = layout.plan(o.saved.result, bounds, "cm", "y")
        naive = layout.Plan(**dict(plan.as_dict(), image_center=(plan.image_center[0], 0.0, plan.image_center[2])))
        self.assertGreater(abs(plane_pixel(naive, mesh_world(naive, eyes[0]))[1] - 0.4 * w), 0.09 * w)
        # The nose tip (vertex 1 of the daemon's mesh) lands within 2 px of where frames.py puts it in the map.
        nu, nv = plane_pixel(plan, mesh_world(plan, verts[1]))
        fu, fv = frames.mesh_to_crop(verts[1][0], verts[1][1], w)
        self.assertLess(((nu - fu) ** 2 + (nv - fv) ** 2) ** 0.5, 2.0)

    def test_the_camera_view_preference_gets_the_camera_view_mesh_on_structure_png(self):
        h, _f, _req = self.run_flow(PORTRAIT, dict(self.values, view="camera"), name="camera_view")
        o = h.built
        self.assertEqual(o.saved.result["mesh"]["view"], "camera")
        self.assertEqual((o.choice.view, o.choice.reference_kind), ("camera", "structure"))
        self.placement_lines_up(o)

    def test_reconstructing_again_replaces_the_folder_and_leaves_nothing_behind(self):
        h1, _f, req = self.run_flow(PORTRAIT, name="again")
        first = h1.built.job_id
        h2, _f, _req = self.run_flow(PORTRAIT, name="again")
        self.assertNotEqual(h2.built.job_id, first)
        with open(os.path.join(req.folder, "result.json")) as f:
            self.assertEqual(json.load(f)["source"], "control_obama_official_portrait.jpg")
        self.assertEqual(os.listdir(os.path.dirname(req.folder)), ["again"])

    def test_no_face_is_reported_with_the_daemons_code_and_hint_and_builds_nothing(self):
        h, _f, req = self.run_flow(NO_FACE, name="coffee")
        self.assertEqual(h.events[-1][:2], ("error", "NO_FACE"))
        self.assertIn("No face found in negative_coffee.png", h.events[-1][2])
        self.assertIn("clearly visible", h.events[-1][3])
        self.assertNotIn("build", [e[0] for e in h.events])
        self.assertFalse(os.path.exists(req.folder))

    def test_cancel_from_the_progress_bar_sends_job_cancel_and_builds_nothing(self):
        # Keep the daemon's one worker busy, so the job waits in the queue when Esc is pressed: always in time.
        busy = ReconClient.connect()
        try:
            for _ in range(3):
                busy.start_reconstruct({"path": PORTRAIT}, {"size": 1024})
            h, f, req = self.run_flow(PORTRAIT, name="cancelled", cancel_when="queued")
        finally:
            busy.close()
        self.assertEqual(h.events[-1], ("cancelled",))
        self.assertNotIn("build", [e[0] for e in h.events])
        self.assertIn(("Face Recon: cancelling…", 1.0), h.progress)
        self.assertFalse(os.path.exists(req.folder))
        parent = os.path.dirname(req.folder)
        self.assertEqual(os.listdir(parent) if os.path.isdir(parent) else [], [])  # no staging folder left
        c = ReconClient.connect()
        try:
            states = [j["state"] for j in c.call("jobs.list", {"all": True})["jobs"] if j["clientId"] != c.client_id]
        finally:
            c.close()
        self.assertIn("cancelled", states)

    def test_one_job_at_a_time(self):
        h = RecordingHost()
        f = flow.Flow(h)
        req = flow.Request(PORTRAIT, "busy", os.path.join(self.root, "busy"), self.values)
        self.assertTrue(f.start(req))
        self.assertFalse(f.start(req))
        self.assertIn(("busy",), h.events)
        h.pump(lambda: h.ended.is_set() and not f.running)

    def test_a_wrong_token_file_and_no_daemon_are_reported_with_their_hints(self):
        tf = os.path.join(self.root, "token")
        with open(tf, "w") as fh:
            fh.write("0" * 64)
        h, _f, _r = self.run_flow(PORTRAIT, dict(self.values, tokenFile=tf, daemonUrl=os.environ["RECON_TEST_URL"]), name="tok")
        self.assertEqual(h.events[-1][1], "UNAUTHORIZED")
        t0 = time.monotonic()
        h, _f, _r = self.run_flow(PORTRAIT, dict(self.values, daemonUrl="ws://127.0.0.1:%d/" % _free_port()), name="down")
        self.assertLess(time.monotonic() - t0, 5.0)
        self.assertEqual(h.events[-1][1:3], ("DAEMON_NOT_RUNNING", "daemon not running: run `recon-daemon start`"))
        self.assertIn("Face Recon ▸ Start Daemon", h.events[-1][3])


class AutoStartTest(unittest.TestCase):
    """With auto-start on and no daemon, a job starts one with the recorded command and completes (in its own
    process: the daemon's files are found through HOME and the XDG variables)."""

    def test_a_job_starts_the_daemon_when_nothing_answers(self):
        root = tempfile.mkdtemp(prefix="recon-maya-autostart-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_DAEMON_")}
        env.update(HOME=root, XDG_CONFIG_HOME=os.path.join(root, "config"), XDG_RUNTIME_DIR=os.path.join(root, "run"),
                   XDG_STATE_HOME=os.path.join(root, "state"), XDG_DATA_HOME=os.path.join(root, "data"),
                   RECON_DAEMON_PORT="0", RECON_DAEMON_WORKERS="1")
        code = (
            "import sys, json, os\n"
            "sys.path.insert(0, %r)\n"
            "from recon_maya import flow, prefs\n"
            "values, _ = prefs.load({}.__class__())\n" % SCRIPTS +
            "values.update(autoStart=1, size=128)\n"
            "req = flow.Request(%r, 'auto', os.path.join(%r, 'FaceRecon', 'auto'), values, cli=%r)\n" % (PORTRAIT, root, os.environ["RECON_TEST_CLI"]) +
            "o = flow.execute(req)\n"
            "print(json.dumps({'verdict': o.verdict, 'files': sorted(o.saved.files)}))\n"
        )
        try:
            r = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
            self.assertEqual(r.returncode, 0, r.stderr.decode()[-3000:])
            out = json.loads(r.stdout.decode().strip().splitlines()[-1])
            self.assertEqual(out["verdict"], "pass")
            self.assertIn("obj", out["files"])
            info = discovery.read_discovery(env)
            self.assertIsNotNone(info, "the daemon it started is running")
        finally:
            info = discovery.read_discovery(env)
            if info:
                os.kill(info["pid"], 15)
                for _ in range(200):
                    if not discovery.pid_alive(info["pid"]):
                        break
                    time.sleep(0.05)
            shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------
# Where Maya is called, and how


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def maya_calls(path):
    """(command, [keyword names], line) for every cmds.<command>(…) in a file."""
    tree = ast.parse(read_text(path), path)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id == "cmds":
            out.append((node.func.attr, [k.arg for k in node.keywords if k.arg], node.lineno))
    return out


def imports_maya(path):
    tree = ast.parse(read_text(path), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "maya" or a.name.startswith("maya.") for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module and (node.module == "maya" or node.module.startswith("maya.")):
            return True
    return False


class IsolationTest(unittest.TestCase):
    COMMANDS = os.path.join(REPO, "test", "maya", "maya_commands.json")

    def test_only_mayahost_imports_maya(self):
        pkg = os.path.join(SCRIPTS, "recon_maya")
        importers = sorted(n for n in os.listdir(pkg) if n.endswith(".py") and imports_maya(os.path.join(pkg, n)))
        self.assertEqual(importers, ["mayahost.py"])
        shared = os.path.join(REPO, "integrations", "python", "recon_client")
        self.assertEqual([n for n in os.listdir(shared) if n.endswith(".py") and imports_maya(os.path.join(shared, n))], [])
        self.assertFalse(imports_maya(os.path.join(SCRIPTS, "userSetup.py")))  # it imports mayahost, nothing of Maya's

    def check_calls(self, path):
        table = json.loads(read_text(self.COMMANDS))["commands"]
        problems = []
        for cmd, flags, line in maya_calls(path):
            if cmd not in table:
                problems.append("line %d: cmds.%s is not in maya_commands.json" % (line, cmd))
                continue
            known = set(table[cmd]["flags"]) | set(table[cmd]["flags"].values())
            problems += ["line %d: cmds.%s has no flag %r" % (line, cmd, f) for f in flags if f not in known]
        return problems

    def test_every_maya_command_and_flag_mayahost_uses_is_in_autodesks_reference(self):
        self.assertEqual(self.check_calls(os.path.join(SCRIPTS, "recon_maya", "mayahost.py")), [])
        calls = maya_calls(os.path.join(SCRIPTS, "recon_maya", "mayahost.py"))
        self.assertGreater(len(calls), 60)
        # Every command in the table is used (the table declares what the module uses, nothing more).
        table = json.loads(read_text(self.COMMANDS))["commands"]
        self.assertEqual(sorted(set(table) - {c for c, _f, _l in calls}), [])
        for cmd, entry in table.items():
            self.assertTrue(entry["doc"].startswith("https://help.autodesk.com/cloudhelp/2022/ENU/Maya-Tech-Docs/CommandsPython/%s.html" % cmd), cmd)

    def test_the_check_finds_a_misspelt_flag_and_an_unknown_command(self):
        src = read_text(os.path.join(SCRIPTS, "recon_maya", "mayahost.py"))
        for good, bad, expect in (("isInterruptable=True", "isInteruptable=True", "no flag 'isInteruptable'"),
                                  ("cmds.exactWorldBoundingBox(", "cmds.exactWorldBoundingbox(", "cmds.exactWorldBoundingbox is not")):
            self.assertIn(good, src)
            with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
                f.write(src.replace(good, bad, 1))
            try:
                problems = self.check_calls(f.name)
            finally:
                os.remove(f.name)
            self.assertTrue(any(expect in p for p in problems), problems)


# ---------------------------------------------------------------------------------------------------------
# The module as install-addon builds it


class InstalledModuleTest(unittest.TestCase):
    """The module written by `recon-daemon install-addon maya --modules-dir` (RECON_TEST_MODULE is its folder)."""

    def setUp(self):
        self.modules = os.environ.get("RECON_TEST_MODULE")
        if not self.modules:
            self.fail("RECON_TEST_MODULE is not set (test/maya.test.ts sets it)")

    def test_the_mod_file_points_maya_at_the_folder_beside_it_with_scripts_shelves_and_icons(self):
        with open(os.path.join(self.modules, "recon_maya.mod")) as f:
            lines = [l.rstrip("\n") for l in f]
        self.assertEqual(lines[0].split(), ["+", "recon_maya", recon_maya.__version__, "./recon_maya"])
        self.assertIn("MAYA_SHELF_PATH +:= shelves", lines)
        self.assertNotIn("", lines)  # a blank line ends a .mod entry
        root = os.path.join(self.modules, "recon_maya")
        for sub in ("scripts/userSetup.py", "scripts/recon_maya/__init__.py", "scripts/recon_maya/recon_client/client.py",
                    "scripts/recon_maya/install.json", "shelves/shelf_FaceRecon.mel", "icons/faceRecon.png"):
            self.assertTrue(os.path.isfile(os.path.join(root, *sub.split("/"))), sub)
        mel = read_text(os.path.join(root, "shelves", "shelf_FaceRecon.mel"))
        self.assertIn("global proc shelf_FaceRecon ()", mel)  # Maya calls shelf_<name> for shelf_<name>.mel
        self.assertIn('-image "faceRecon.png"', mel)
        self.assertIn('-command "import recon_maya; recon_maya.reconstruct_from_photo()"', mel)
        self.assertIn('-sourceType "python"', mel)

    def test_the_installed_package_uses_its_vendored_client_and_the_recorded_command(self):
        scripts = os.path.join(self.modules, "recon_maya", "scripts")
        code = ("import sys, json; sys.path.insert(0, sys.argv[1])\n"
                "import recon_maya\nfrom recon_maya import prefs\n"
                "from recon_maya.recon_client import host\n"
                "err = None\n"
                "try:\n    import recon_maya.mayahost\nexcept ImportError as e:\n    err = str(e)\n"
                "print(json.dumps({'client': recon_maya.recon_client.__file__, 'cli': prefs.cli_command({}, recon_maya.__path__[0]),"
                " 'hint': host.text('not_running_hint'), 'mayahost': err}))")
        r = subprocess.run([sys.executable, "-c", code, scripts], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tempfile.gettempdir())
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        out = json.loads(r.stdout.decode())
        self.assertTrue(out["client"].startswith(scripts), out["client"])  # vendored, not the checkout's
        with open(os.path.join(scripts, "recon_maya", "install.json")) as f:
            self.assertEqual(out["cli"], json.load(f)["cli"])
        self.assertIn("Face Recon ▸ Start Daemon", out["hint"])
        self.assertIn("maya", out["mayahost"])  # outside Maya: mayahost alone needs Maya
        # userSetup.py outside Maya says why it does nothing instead of breaking start-up.
        r = subprocess.run([sys.executable, os.path.join(scripts, "userSetup.py")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=dict(os.environ, PYTHONPATH=scripts))
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn("Face Recon: the module could not start", r.stdout.decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
