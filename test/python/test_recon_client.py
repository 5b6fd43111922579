"""The shared Python client (integrations/python/recon_client) in plain Python: WebSocket framing, JSON-RPC,
discovery, frames, the GLB reader, options, downloads, the words of its hints — and the real daemon that
test/python-client.test.ts started (its environment is ours, so the discovery and token files are found the way
the editors find them).

Run by vitest: python3 test/python/test_recon_client.py (environment: RECON_REPO, RECON_TEST_* below)."""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

REPO = os.environ.get("RECON_REPO") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "integrations", "python"))

from recon_client import discovery, download, errors, frames, glb, host, jobs, jsonrpc, placement, results, wrap  # noqa: E402
from recon_client import websocket as wsmod  # noqa: E402
from recon_client.client import ReconClient  # noqa: E402
from recon_client.errors import ReconError  # noqa: E402
from recon_client.link import CONNECTED, DISCONNECTED, DaemonLink, LinkSettings  # noqa: E402

FACES = os.path.join(os.path.dirname(REPO), "shared", "faces", "cases")
PORTRAIT = os.path.join(FACES, "control_obama_official_portrait.jpg")
NO_FACE = os.path.join(FACES, "negative_coffee.png")
BIN = os.path.join(REPO, "bin", "recon-daemon.js")
PLUGIN_COMMAND = os.environ.get("RECON_TEST_PLUGIN_COMMAND", "blendertest.hello")


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------------------------------------------------
# Pure parts


class FramingTest(unittest.TestCase):
    def test_accept_key_matches_rfc6455_example(self):
        # RFC 6455 §1.3: the sample nonce and its accept value.
        self.assertEqual(wsmod.accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")

    def test_key_is_16_random_bytes_base64(self):
        k = wsmod.make_key()
        self.assertEqual(len(base64.b64decode(k)), 16)
        self.assertNotEqual(k, wsmod.make_key())

    def test_client_frames_are_masked_and_decode_back(self):
        for n in (0, 5, 125, 126, 65535, 65536, 200000):
            payload = bytes((i * 7) % 256 for i in range(n))
            frame = wsmod.encode_frame(wsmod.OP_BINARY, payload, mask_key=b"\x01\x02\x03\x04")
            self.assertTrue(frame[1] & 0x80, "mask bit set")
            length_field = frame[1] & 0x7F
            self.assertEqual(length_field, n if n < 126 else (126 if n < 65536 else 127))
            decoded = wsmod.FrameDecoder(allow_masked=True).feed(frame)
            self.assertEqual(len(decoded), 1)
            self.assertEqual(decoded[0].payload, payload)
            self.assertEqual(decoded[0].opcode, wsmod.OP_BINARY)

    def test_masking_matches_the_rfc_example(self):
        # RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
        frame = wsmod.encode_frame(wsmod.OP_TEXT, b"Hello", mask_key=bytes([0x37, 0xFA, 0x21, 0x3D]))
        self.assertEqual(frame, bytes([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]))

    def test_decoder_handles_bytes_arriving_one_at_a_time(self):
        frames_ = wsmod.encode_frame(wsmod.OP_TEXT, b"abc", mask=False) + wsmod.encode_frame(wsmod.OP_PING, b"p", mask=False)
        d = wsmod.FrameDecoder()
        got = []
        for b in frames_:
            got += d.feed(bytes([b]))
        self.assertEqual([(f.opcode, f.payload) for f in got], [(wsmod.OP_TEXT, b"abc"), (wsmod.OP_PING, b"p")])

    def test_decoder_refuses_masked_server_frames_reserved_bits_and_big_control_frames(self):
        with self.assertRaises(wsmod.ProtocolError):
            wsmod.FrameDecoder().feed(wsmod.encode_frame(wsmod.OP_TEXT, b"x", mask_key=b"abcd"))
        with self.assertRaises(wsmod.ProtocolError):
            wsmod.FrameDecoder().feed(bytes([0xC1, 0x00]))  # RSV1 without an extension
        with self.assertRaises(wsmod.ProtocolError):
            wsmod.FrameDecoder().feed(bytes([0x89, 126, 0, 200]) + b"x" * 200)
        with self.assertRaises(wsmod.ProtocolError) as e:
            wsmod.FrameDecoder(max_frame=10).feed(wsmod.encode_frame(wsmod.OP_TEXT, b"x" * 11, mask=False))
        self.assertEqual(e.exception.close_code, 1009)

    def test_fragmented_messages_are_joined_and_control_frames_interleave(self):
        a = wsmod.MessageAssembler()
        self.assertIsNone(a.add(wsmod.Frame(False, wsmod.OP_TEXT, b"hel")))
        self.assertEqual(a.add(wsmod.Frame(True, wsmod.OP_PING, b"!")), (wsmod.OP_PING, b"!"))
        self.assertEqual(a.add(wsmod.Frame(True, wsmod.OP_CONTINUATION, b"lo")), (wsmod.OP_TEXT, b"hello"))
        with self.assertRaises(wsmod.ProtocolError):
            a.add(wsmod.Frame(True, wsmod.OP_CONTINUATION, b"x"))
        with self.assertRaises(wsmod.ProtocolError):
            wsmod.MessageAssembler().add(wsmod.Frame(True, wsmod.OP_TEXT, b"\xff\xfe"))

    def test_close_payload_round_trip(self):
        self.assertEqual(wsmod.parse_close_payload(wsmod.close_payload(1001, "bye")), (1001, "bye"))
        self.assertEqual(wsmod.parse_close_payload(b""), (1005, ""))

    def test_handshake_request_has_the_headers_and_no_origin(self):
        req = wsmod.build_request("127.0.0.1", 47613, "/", "KEY==", {"Authorization": "Bearer t"}).decode()
        self.assertTrue(req.startswith("GET / HTTP/1.1\r\n"))
        for h in ("Host: 127.0.0.1:47613", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: KEY==",
                  "Sec-WebSocket-Version: 13", "Authorization: Bearer t"):
            self.assertIn(h + "\r\n", req)
        self.assertNotIn("Origin", req)
        with self.assertRaises(ValueError):
            wsmod.build_request("h", 1, "/", "k", {"X": "a\r\nInjected: 1"})

    def test_parse_url(self):
        self.assertEqual(wsmod.parse_url("ws://127.0.0.1:41355/"), (False, "127.0.0.1", 41355, "/"))
        self.assertEqual(wsmod.parse_url("wss://[::1]/x?y=1"), (True, "::1", 443, "/x?y=1"))
        with self.assertRaises(ValueError):
            wsmod.parse_url("http://127.0.0.1/")


class JsonRpcTest(unittest.TestCase):
    def test_classify(self):
        self.assertEqual(jsonrpc.classify({"jsonrpc": "2.0", "id": 3, "result": {"a": 1}})[:3], ("response", 3, {"a": 1}))
        self.assertEqual(jsonrpc.classify({"jsonrpc": "2.0", "method": "job.progress", "params": {}})[0], "notification")
        self.assertEqual(jsonrpc.classify({"jsonrpc": "2.0", "id": 1, "method": "x"})[0], "request")
        self.assertEqual(jsonrpc.classify({"id": 1, "result": 1})[0], "invalid")
        self.assertEqual(len(jsonrpc.decode_messages('[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]')), 2)

    def test_encode_request(self):
        self.assertEqual(json.loads(jsonrpc.encode_request(7, "ping", {})), {"jsonrpc": "2.0", "id": 7, "method": "ping", "params": {}})

    def test_error_objects_become_recon_errors_with_code_and_hint(self):
        e = ReconError.from_rpc({"code": -32803, "message": "No face found in x.png", "data": {"code": "NO_FACE", "hint": "Use a photo…", "extra": 1}})
        self.assertEqual((e.code, e.message, e.hint, e.rpc_code, e.details), ("NO_FACE", "No face found in x.png", "Use a photo…", -32803, {"extra": 1}))
        self.assertEqual(e.user_text(), "No face found in x.png. Use a photo…")
        self.assertEqual(ReconError.from_rpc({"code": -32004, "message": "m"}).code, "JOB_NOT_FOUND")


class DiscoveryTest(unittest.TestCase):
    def env(self, root):
        return {"HOME": root, "XDG_CONFIG_HOME": os.path.join(root, "c"), "XDG_RUNTIME_DIR": os.path.join(root, "r")}

    def test_paths_follow_xdg_like_the_daemon(self):
        p = discovery.daemon_paths({"HOME": "/h", "XDG_CONFIG_HOME": "/cfg", "XDG_RUNTIME_DIR": "/run/u"})
        self.assertEqual(p["tokenFile"], "/cfg/recon-daemon/token")
        self.assertEqual(p["discoveryFile"], "/run/u/recon-daemon/daemon.json")
        p = discovery.daemon_paths({"HOME": "/h", "XDG_CONFIG_HOME": "relative/ignored"})
        self.assertEqual(p["tokenFile"], "/h/.config/recon-daemon/token")
        self.assertEqual(p["discoveryFile"], "/h/.config/recon-daemon/daemon.json")

    def test_discovery_file_of_a_dead_pid_is_ignored_and_token_is_read(self):
        with tempfile.TemporaryDirectory() as root:
            env = self.env(root)
            paths = discovery.daemon_paths(env)
            os.makedirs(os.path.dirname(paths["discoveryFile"]))
            os.makedirs(os.path.dirname(paths["tokenFile"]))
            with open(paths["tokenFile"], "w") as f:
                f.write("ab" * 32 + "\n")
            dead = subprocess.Popen([sys.executable, "-c", "pass"])
            dead.wait()
            with open(paths["discoveryFile"], "w") as f:
                json.dump({"url": "ws://127.0.0.1:1/", "pid": dead.pid, "tokenFile": paths["tokenFile"]}, f)
            self.assertIsNone(discovery.read_discovery(env))
            ep = discovery.resolve_endpoint(env=env)
            self.assertEqual((ep.url, ep.token, ep.token_source), (discovery.DEFAULT_URL, "ab" * 32, paths["tokenFile"]))
            with open(paths["discoveryFile"], "w") as f:
                json.dump({"url": "ws://127.0.0.1:5555/", "pid": os.getpid(), "tokenFile": paths["tokenFile"]}, f)
            ep = discovery.resolve_endpoint(env=env)
            self.assertEqual((ep.url, ep.url_source), ("ws://127.0.0.1:5555/", paths["discoveryFile"]))
            # A remote URL never gets the local token.
            ep = discovery.resolve_endpoint(url="ws://192.0.2.7:47613/", env=env)
            self.assertIsNone(ep.token)
            self.assertFalse(ep.local)

    def test_the_cli_command_may_be_a_whole_command_line(self):
        node = sys.executable  # any executable stands in for node
        with tempfile.TemporaryDirectory(prefix="with space ") as root:
            script = os.path.join(root, "bin", "recon-daemon.js")
            os.makedirs(os.path.dirname(script))
            open(script, "w").close()
            line = discovery.join_command([node, script])
            self.assertEqual(discovery.split_command(line), [node, script])
            self.assertEqual(discovery.cli_command(line), [node, script])
            with self.assertRaises(ReconError) as e:
                discovery.cli_command(discovery.join_command([node, os.path.join(root, "gone", "recon-daemon.js")]))
            self.assertIn("was not found", e.exception.message)
            self.assertIn(host.text("cli_setting"), e.exception.hint)  # where this host sets the command
        with self.assertRaises(ReconError) as e:
            discovery.cli_command("/nonexistent/node /x/recon-daemon.js")
        self.assertIn("'/nonexistent/node' was not found", e.exception.message)

    def test_install_addon_records_the_command_that_starts_the_daemon(self):
        with tempfile.TemporaryDirectory() as pkg:
            self.assertEqual(discovery.install_info(pkg), {})
            self.assertEqual(discovery.default_cli_command(pkg), "recon-daemon")  # a symlinked development copy
            with open(os.path.join(pkg, "install.json"), "w") as f:
                json.dump({"cli": "/opt/node/bin/node /opt/recon/bin/recon-daemon.js", "version": "0.1.0"}, f)
            self.assertEqual(discovery.default_cli_command(pkg), "/opt/node/bin/node /opt/recon/bin/recon-daemon.js")

    def test_loopback(self):
        for u, want in (("ws://127.0.0.1:1/", True), ("ws://localhost/", True), ("ws://[::1]:3/", True), ("ws://10.0.0.2/", False)):
            self.assertEqual(discovery.is_loopback_url(u), want, u)


class FramesTest(unittest.TestCase):
    def test_crop_to_mesh_matches_the_documented_frame(self):
        S = 256
        k = frames.metres_per_pixel(S)
        self.assertAlmostEqual(k, 0.063 / (0.28 * 256))
        # The pupils sit at (0.5·S ± 0.14·S, 0.4·S): ±0.0315 m on the X axis.
        self.assertAlmostEqual(frames.crop_to_mesh(0.36 * S, 0.4 * S, S)[0], -0.0315)
        self.assertAlmostEqual(frames.crop_to_mesh(0.64 * S, 0.4 * S, S)[1], 0.0)
        self.assertEqual(frames.gltf_to_blender((1, 2, 3)), (1, -3, 2))
        self.assertEqual(frames.blender_to_gltf(frames.gltf_to_blender((1, 2, 3))), (1, 2, 3))

    def test_reference_placement(self):
        for S in (128, 256, 1024):
            p = frames.reference_placement(S, back=0.05)
            self.assertAlmostEqual(p["display_size"], 0.225)  # S·k = 0.063/0.28
            self.assertAlmostEqual(p["location"][2], -0.1 * 0.225)
            # The image's top-left corner, mapped through the placement, is crop (0, 0).
            u, v = frames.reference_to_crop(-0.1125, 0.1125, S)
            self.assertAlmostEqual(u, 0)
            self.assertAlmostEqual(v, 0)


class WrapTest(unittest.TestCase):
    def measure(self, s):
        return 6 * len(s)

    def test_lines_fit_the_width_and_keep_every_word(self):
        text = ("POSE_TOO_LARGE: quality check failed: The head is turned too far for a front view (yaw 51°, "
                "pitch -27°; limit 40°)")
        for width in (60, 100, 150, 300):
            lines = wrap.wrap(text, width, self.measure)
            self.assertTrue(all(self.measure(l) <= width for l in lines), (width, lines))
            self.assertEqual("".join(lines).replace(" ", ""), text.replace(" ", ""))
            # Words are not broken when they fit on a line of their own.
            for word in text.split():
                if self.measure(word) <= width:
                    self.assertTrue(any(word in l.split() for l in lines), (width, word, lines))

    def test_a_long_file_name_breaks_after_an_underscore_not_inside_a_word(self):
        lines = wrap.wrap("control_obama_official_portrait.jpg", 6 * 24, self.measure)
        self.assertEqual(lines, ["control_obama_official_", "portrait.jpg"])
        lines = wrap.wrap("Collection: control_obama_official_portrait", 6 * 16, self.measure)
        self.assertEqual(lines, ["Collection:", "control_obama_", "official_", "portrait"])

    def test_a_word_without_break_characters_is_cut_only_when_it_must(self):
        self.assertEqual(wrap.wrap("abcdefghij", 6 * 4, self.measure), ["abcd", "efgh", "ij"])
        self.assertEqual(wrap.wrap("", 100, self.measure), [""])
        self.assertEqual(wrap.wrap("one\ntwo", 600, self.measure), ["one", "two"])

    def test_the_default_measure_is_a_conservative_character_estimate(self):
        self.assertEqual(wrap.wrap("a b c d", 21), ["a b", "c d"])  # 7 px per character


class PlacementTest(unittest.TestCase):
    # A usual result: its 0.225 m reference image (centre 0.1·S·k below the eyes), the mesh inside it.
    RESULT = (-0.1125, 0.1125, -0.135, 0.09)

    def test_an_empty_scene_puts_the_first_result_at_the_origin(self):
        self.assertEqual(placement.free_slot([], self.RESULT), 0)
        self.assertEqual(placement.slot_x(0), 0.0)

    def test_the_default_cube_pushes_the_result_beside_it(self):
        cube = (-1.0, 1.0, -1.0, 1.0)
        n = placement.free_slot([cube], self.RESULT)
        self.assertEqual(n, 4)
        self.assertAlmostEqual(placement.slot_x(n), 1.2)  # 1.2 − 0.1125 − 0.0375 = 1.05 m: clear of the cube

    def test_results_go_side_by_side_and_fill_gaps(self):
        first = (-0.1125, 0.1125, -0.135, 0.09)
        self.assertEqual(placement.free_slot([first], self.RESULT), 1)
        third = (0.4875, 0.7125, -0.135, 0.09)  # slot 2 taken, slot 1 free
        self.assertEqual(placement.free_slot([first, third], self.RESULT), 1)

    def test_a_result_wider_than_its_image_takes_the_room_it_needs(self):
        # A turned face's mesh reaching 0.2 m left of its origin: slot 1 would touch the first result.
        wide = (-0.2, 0.1125, -0.135, 0.09)
        first = (-0.1125, 0.1125, -0.135, 0.09)
        n = placement.free_slot([first], wide)
        self.assertEqual(n, 2)
        self.assertGreaterEqual(placement.slot_x(n) + wide[0] - placement.GAP / 2, first[1])

    def test_things_the_front_view_sees_edge_on_or_at_another_height_do_not_block(self):
        floor = (-10.0, 10.0, 0.0, 0.0)  # a plane at z = 0: no height in the Front view
        lamp = (-0.5, 0.5, 2.0, 3.0)  # far above the face
        self.assertEqual(placement.free_slot([floor, lamp], self.RESULT), 0)
        self.assertEqual(placement.box_of_points([(1, 5, 2), (-1, 0, 3)]), (-1, 1, 2, 3))
        self.assertEqual(placement.union([(0, 1, 0, 1), None, (-1, 0.5, 0.5, 2)]), (-1, 1, 0, 2))


class OptionsTest(unittest.TestCase):
    def test_defaults_ask_for_the_front_view_its_structure_map_and_the_mesh(self):
        d, c = jobs.normalize_options({})
        self.assertEqual(d, {"outputs": ["crop", "depth", "normal", "front-structure", "glb"], "view": "front"})
        d, c = jobs.normalize_options({"outputs": ["crop"], "import_mesh": False, "size": 512, "detail": 0, "face": 1})
        self.assertEqual(d, {"outputs": ["crop", "front-structure"], "size": 512, "detail": 0.0, "faces": 1, "view": "front"})
        self.assertFalse(c["import_mesh"])
        # The camera view's preference: structure.png and the camera-frame mesh.
        d, c = jobs.normalize_options({"view": "camera", "outputs": [], "subdivisions": 2})
        self.assertEqual(d, {"outputs": ["structure", "glb"], "view": "camera", "subdivisions": 2})
        self.assertEqual(c["view"], "camera")

    def test_the_reference_is_the_structure_map_in_the_meshs_view(self):
        both = {"structure": "structure.png", "front-structure": "front-structure.png", "glb": "face.glb"}
        frames_ = {"structure": "camera", "front-structure": "front"}
        self.assertEqual(results.reference_kind({"outputs": both, "frames": dict(frames_, glb="front"), "mesh": {"view": "front"}}, "camera"),
                         "front-structure")
        self.assertEqual(results.reference_kind({"outputs": both, "frames": dict(frames_, glb="camera"), "mesh": {"view": "camera"}}),
                         "structure")
        self.assertEqual(results.reference_kind({"outputs": both}, "camera"), "structure")  # no mesh: the preference
        self.assertEqual(results.reference_kind({"outputs": {"structure": "structure.png"}, "mesh": {}}), "structure")  # an older daemon
        self.assertIsNone(results.reference_kind({"outputs": {"glb": "face.glb"}}))

    def test_landmarks_go_into_the_front_view_through_the_head_frame(self):
        # A head turned 90° about the vertical (rotation rows: head axes in image space), scale 2, centre (10, 20, 30).
        r = {"faces": [{"points": [[10, 20, 30], [10, 20, 35], [10, 25, 30]]}], "reconstructed": [0],
             "headFrame": {"rotation": [0, 0, 1, 0, 1, 0, -1, 0, 0], "centre": [10, 20, 30], "scale": 2, "size": 256}}
        for i, want in enumerate([(128.0, 102.4), (138.0, 102.4), (128.0, 112.4)]):  # 1: depth in the photo → x in the front view
            got = results.landmark_front(r, i)
            self.assertAlmostEqual(got[0], want[0], places=9)
            self.assertAlmostEqual(got[1], want[1], places=9)
        self.assertIsNone(results.landmark_front({"faces": [{"points": [[0, 0, 0]]}], "reconstructed": [0]}, 0))

    def test_bad_values_are_refused_with_the_daemons_wording(self):
        cases = [({"size": 2000}, "Expected integer 128–1024 for size but received 2000"),
                 ({"detail": 2}, "Expected number 0–1 for detail but received 2"),
                 ({"outputs": ["nope"]}, "Expected a list of output kinds"),
                 ({"transfer": "x"}, "Expected one of auto, path, data for transfer"),
                 ({"view": "side"}, "Expected one of front, camera for view but received 'side'"),
                 ({"subdivisions": 4}, "Expected an integer 0–3 for subdivisions but received 4")]
        for opts, text in cases:
            with self.assertRaises(ReconError) as e:
                jobs.normalize_options(opts)
            self.assertEqual(e.exception.code, "INVALID_OPTION")
            self.assertIn(text, e.exception.message)
        with self.assertRaises(ReconError) as e:
            jobs.normalize_options({"sise": 256})
        self.assertEqual(e.exception.message, "Unknown option 'sise'")


# ---------------------------------------------------------------------------------------------------------
# Against the real daemon


class DaemonTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = ReconClient.connect(client_name="test_core", client_version="1")

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def test_connects_through_the_discovery_and_token_files_and_initializes(self):
        c = self.c
        self.assertTrue(c.local)
        self.assertEqual(c.init["protocolVersion"], "1.0")
        self.assertRegex(c.client_id, r"^c-[0-9a-f]{12}$")
        self.assertIn("recon.reconstruct", c.methods)
        self.assertEqual(c.endpoint.url, os.environ["RECON_TEST_URL"])
        self.assertEqual(c.endpoint.token, os.environ["RECON_TEST_TOKEN"])
        self.assertGreater(c.ping()["time"], 0)

    def test_a_wrong_token_is_refused_with_unauthorized(self):
        with self.assertRaises(ReconError) as e:
            ReconClient.connect(url=os.environ["RECON_TEST_URL"], token="f" * 64)
        self.assertEqual(e.exception.code, "UNAUTHORIZED")
        self.assertEqual(e.exception.rpc_code, -32003)

    def test_ping_frames_get_pongs_and_batches_are_answered(self):
        ws = wsmod.WebSocket.connect(os.environ["RECON_TEST_URL"], headers={"Authorization": "Bearer " + os.environ["RECON_TEST_TOKEN"]})
        try:
            ws.ping(b"hi")
            ws.send_text(json.dumps([
                {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"clientInfo": {"name": "t", "version": "1"}, "protocolVersion": "1.0"}},
            ]))
            ws.settimeout(10)
            _op, payload = ws.recv()
            msgs = jsonrpc.decode_messages(payload.decode())
            self.assertEqual(msgs[0]["id"], 1)
            self.assertEqual(ws.pongs, 1)
            ws.close()
            self.assertEqual(ws.close_code, 1000)
        finally:
            ws.abort()

    def test_runs_a_job_by_path_and_by_bytes_with_the_same_outputs(self):
        seen = []
        by_path = jobs.run_job(self.c, PORTRAIT, {}, on_progress=lambda s, f: seen.append((s, f)))
        self.assertFalse(by_path.fetched)
        self.assertEqual(by_path.verdict, "pass")
        self.assertEqual(seen[-1], ("done", 1.0))
        fractions = [f for _s, f in seen]
        self.assertEqual(fractions, sorted(fractions))
        self.assertEqual(by_path.reference, "front-structure")
        self.assertTrue(by_path.files["front-structure"].startswith(by_path.summary["dir"]))
        by_data = jobs.run_job(self.c, PORTRAIT, {"transfer": "data"})
        try:
            self.assertTrue(by_data.fetched)
            self.assertTrue(by_data.files["glb"].startswith(by_data.temp_dir))
            for kind in ("front-structure", "crop", "depth", "normal"):
                with open(by_path.files[kind], "rb") as a, open(by_data.files[kind], "rb") as b:
                    self.assertEqual(a.read(), b.read(), kind)
            with open(by_data.files["glb"], "rb") as f:  # its extras name the source ("upload"), so not byte-equal
                self.assertEqual(len(glb.read_mesh(f.read()).positions), 1833)
            self.assertEqual(by_data.result["alignment"]["size"], 256)
        finally:
            by_data.cleanup()
        self.assertFalse(os.path.exists(by_data.files["glb"]))

    def test_reads_the_daemons_glb(self):
        o = jobs.run_job(self.c, PORTRAIT, {"outputs": ["glb"]})
        with open(o.files["glb"], "rb") as f:
            m = glb.read_mesh(f.read())
        self.assertEqual((len(m.positions), len(m.triangles)), (1833, 3592))  # docs/mesh-export.md, 1 subdivision
        self.assertEqual(len(m.normals), 1833)
        self.assertEqual(len(m.uvs), 1833)
        self.assertTrue(m.texture.startswith(b"\x89PNG"))
        self.assertTrue(m.normal_texture.startswith(b"\x89PNG"))  # the detail normal map
        self.assertEqual(m.material["normalScale"], 1.0)
        self.assertEqual(m.extras["view"], "front")
        self.assertEqual(m.extras["pose"], results.reconstructed_face(o.result)["pose"])
        self.assertEqual(m.extras["interPupillaryDistance"], 0.063)
        (lx, ly, lz), (rx, ry, rz) = m.extras["eyeCentres"]
        self.assertAlmostEqual(((rx - lx) ** 2 + (ry - ly) ** 2 + (rz - lz) ** 2) ** 0.5, 0.063, delta=0.0002)
        # The nose tip (landmark 1) is in front of the pupils (+Z) and below them.
        self.assertGreater(m.positions[1][2], 0.02)
        self.assertLess(m.positions[1][1], -0.02)
        # Its front-view position through the frame maths agrees with result.json's landmark (head frame) within 2 px.
        u, v = frames.mesh_to_crop(m.positions[1][0], m.positions[1][1], 256)
        lu, lv = results.landmark_front(o.result, 1)
        self.assertLess(((u - lu) ** 2 + (v - lv) ** 2) ** 0.5, 2.0)
        # In the camera view (view "camera") the same holds against the crop.
        oc = jobs.run_job(self.c, PORTRAIT, {"outputs": ["glb"], "view": "camera"})
        self.assertEqual(oc.reference, "structure")
        with open(oc.files["glb"], "rb") as f:
            mc = glb.read_mesh(f.read())
        self.assertEqual(mc.extras["view"], "camera")
        u, v = frames.mesh_to_crop(mc.positions[1][0], mc.positions[1][1], 256)
        lu, lv = results.landmark_crop(oc.result, 1)
        self.assertLess(((u - lu) ** 2 + (v - lv) ** 2) ** 0.5, 2.0)

    def test_no_face_fails_with_the_daemons_code_and_hint(self):
        with self.assertRaises(ReconError) as e:
            jobs.run_job(self.c, NO_FACE, {})
        self.assertEqual(e.exception.code, "NO_FACE")
        self.assertEqual(e.exception.rpc_code, -32803)
        self.assertIn("No face found", e.exception.message)
        self.assertTrue(e.exception.hint)

    def test_a_missing_photo_fails_before_sending(self):
        with self.assertRaises(ReconError) as e:
            jobs.run_job(self.c, "/nonexistent/photo.jpg", {})
        self.assertEqual(e.exception.code, "FILE_NOT_FOUND")

    def test_cancel_ends_the_job_with_request_cancelled(self):
        ev = threading.Event()
        with self.assertRaises(ReconError) as e:
            jobs.run_job(self.c, PORTRAIT, {}, on_progress=lambda s, f: ev.set(), cancel_event=ev)
        self.assertEqual(e.exception.code, "REQUEST_CANCELLED")

    def test_result_read_serves_a_job_file_as_bytes(self):
        o = jobs.run_job(self.c, PORTRAIT, {"outputs": ["structure"], "import_mesh": False, "view": "camera"})
        data = self.c.read_file(o.job_id, "structure.png")
        with open(o.files["structure"], "rb") as f:
            self.assertEqual(data, f.read())
        with self.assertRaises(ReconError) as e:
            self.c.read_file(o.job_id, "../token")
        self.assertEqual(e.exception.code, "PATH_NOT_ALLOWED")

    def test_plugin_commands_are_listed_and_run(self):
        cmds = self.c.list_commands()
        hello = [c for c in cmds if c["command"] == PLUGIN_COMMAND]
        self.assertEqual(len(hello), 1, cmds)
        self.assertEqual(hello[0]["title"], "Say Hello")
        self.assertEqual(self.c.execute_command(PLUGIN_COMMAND, [1, "a"]), {"greeting": "hello from a plugin", "args": [1, "a"]})


class NoDaemonTest(unittest.TestCase):
    def test_nothing_listening_says_daemon_not_running(self):
        with self.assertRaises(ReconError) as e:
            ReconClient.connect(url="ws://127.0.0.1:%d/" % _free_port(), token="x", timeout=2)
        self.assertEqual(e.exception.code, "DAEMON_NOT_RUNNING")
        self.assertEqual(e.exception.message, "daemon not running: run `recon-daemon start`")
        # The hint adds what the message does not say (it used to repeat `recon-daemon start`).
        self.assertEqual(e.exception.hint, host.text("not_running_hint"))  # in the host application's words
        self.assertNotIn("recon-daemon start", e.exception.hint)

    def test_a_silent_server_fails_in_bounded_time_with_a_clear_message(self):
        # Accepts TCP and never answers the handshake.
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        try:
            t = time.monotonic()
            with self.assertRaises(ReconError) as e:
                ReconClient.connect(url="ws://127.0.0.1:%d/" % srv.getsockname()[1], token="x", timeout=1)
            self.assertLess(time.monotonic() - t, 5)
            self.assertEqual(e.exception.message, "daemon not running: run `recon-daemon start`")
        finally:
            srv.close()

    def test_a_request_without_answer_fails_with_no_answer(self):
        # Completes the WebSocket handshake, then never answers JSON-RPC.
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        conns = []

        def serve():
            conn, _ = srv.accept()
            conns.append(conn)
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(4096)
            key = [l.split(":", 1)[1].strip() for l in head.decode().split("\r\n") if l.lower().startswith("sec-websocket-key")][0]
            conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: %s\r\n\r\n" % wsmod.accept_key(key)).encode())

        th = threading.Thread(target=serve, daemon=True)
        th.start()
        try:
            t = time.monotonic()
            with self.assertRaises(ReconError) as e:
                ReconClient.connect(url="ws://127.0.0.1:%d/" % srv.getsockname()[1], token="x", timeout=2, request_timeout=1)
            self.assertLess(time.monotonic() - t, 5)
            self.assertEqual(e.exception.code, "NO_ANSWER")
            self.assertIn("no answer from recon-daemon to initialize within 1 s", e.exception.message)
            self.assertIn("daemon not running: run `recon-daemon start`", e.exception.message)
        finally:
            for c in conns:
                c.close()
            srv.close()


class LinkTest(unittest.TestCase):
    def test_a_wrong_token_surfaces_as_unauthorized_not_as_not_running(self):
        link = DaemonLink(lambda: LinkSettings(url=os.environ["RECON_TEST_URL"], token="f" * 64), backoff_initial=0.2)
        link.start()
        try:
            with self.assertRaises(ReconError) as e:
                link.get_client(timeout=1.5)
            self.assertEqual(e.exception.code, "UNAUTHORIZED")
            self.assertEqual(link.state, DISCONNECTED)
            self.assertIsNotNone(link.snapshot()["next_retry_at"])
        finally:
            link.stop()

    def test_with_nothing_listening_a_caller_hears_it_at_once_not_after_the_backoff(self):
        url = "ws://127.0.0.1:%d/" % _free_port()
        # A long backoff: the link has failed and would wait 30 s before its next try on its own.
        link = DaemonLink(lambda: LinkSettings(url=url, token="x"), backoff_initial=30.0, backoff_max=30.0)
        link.start()
        try:
            end = time.monotonic() + 5
            while link.state != DISCONNECTED and time.monotonic() < end:
                time.sleep(0.01)
            self.assertEqual(link.state, DISCONNECTED)
            for _ in range(3):
                t = time.monotonic()
                with self.assertRaises(ReconError) as e:
                    link.get_client(timeout=10)
                self.assertLess(time.monotonic() - t, 1.0)
                self.assertEqual(e.exception.code, "DAEMON_NOT_RUNNING")
        finally:
            link.stop()

    def test_a_remote_daemon_is_not_contacted_when_online_access_is_off(self):
        link = DaemonLink(lambda: LinkSettings(url="ws://192.0.2.1:47613/", token="x", allow_remote=False), backoff_initial=0.2)
        link.start()
        try:
            with self.assertRaises(ReconError) as e:
                link.get_client(timeout=1.0)
            self.assertEqual(e.exception.code, "ONLINE_ACCESS_DISABLED")
        finally:
            link.stop()

    def test_the_link_lists_plugin_commands_once_connected(self):
        link = DaemonLink(lambda: LinkSettings(), backoff_initial=0.2)
        link.start()
        try:
            link.get_client(timeout=5)
            end = time.monotonic() + 5  # listed right after the connection is announced
            while not link.snapshot()["commands"] and time.monotonic() < end:
                time.sleep(0.05)
            self.assertIn(PLUGIN_COMMAND, [c["command"] for c in link.snapshot()["commands"]])
        finally:
            link.stop()
        self.assertEqual(link.state, "STOPPED")


class RestartTest(unittest.TestCase):
    """A second daemon of our own, in its own temp environment: started with the CLI the way the add-on's
    "start the daemon" preference does, stopped and started again under a link that must reconnect."""

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="recon-client-test-")
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("RECON_DAEMON_"):
                del self.env[k]
        self.env.update({
            "HOME": self.root,
            "XDG_CONFIG_HOME": os.path.join(self.root, "config"),
            "XDG_RUNTIME_DIR": os.path.join(self.root, "run"),
            "XDG_STATE_HOME": os.path.join(self.root, "state"),
            "XDG_DATA_HOME": os.path.join(self.root, "data"),
            "RECON_DAEMON_PORT": "0",
            "RECON_DAEMON_WORKERS": "1",
        })
        self.pids = []

    def tearDown(self):
        info = discovery.read_discovery(self.env)
        if info:
            self.pids.append(info["pid"])
        for pid in set(self.pids):
            try:
                os.kill(pid, 15)
            except OSError:
                pass
        for pid in set(self.pids):
            for _ in range(100):
                if not discovery.pid_alive(pid):
                    break
                time.sleep(0.05)
        import shutil

        shutil.rmtree(self.root, ignore_errors=True)

    def _shutdown(self):
        info = discovery.read_discovery(self.env)
        self.pids.append(info["pid"])
        c = ReconClient.connect(env=self.env)
        c.call("daemon.shutdown", {"graceMs": 0})
        for _ in range(200):
            if not discovery.pid_alive(info["pid"]):
                return
            time.sleep(0.05)
        self.fail("the daemon did not stop")

    def test_start_daemon_then_a_link_reconnects_after_a_restart(self):
        info = discovery.start_daemon(BIN, self.env, timeout=90)
        self.pids.append(info["pid"])
        self.assertTrue(discovery.pid_alive(info["pid"]))
        changes = []
        link = DaemonLink(lambda: LinkSettings(env=self.env), on_change=lambda: changes.append(link.state),
                          backoff_initial=0.2, backoff_max=1.0)
        link.start()
        try:
            c1 = link.get_client(timeout=10)
            self.assertEqual(link.state, CONNECTED)
            self.assertGreater(c1.ping()["time"], 0)
            self._shutdown()
            deadline = time.monotonic() + 10
            while link.state == CONNECTED and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertIn(link.state, (DISCONNECTED, "CONNECTING"))
            # Nothing listens: a caller gets the clear message within its timeout.
            with self.assertRaises(ReconError) as e:
                link.get_client(timeout=0.5)
            self.assertEqual(e.exception.message, "daemon not running: run `recon-daemon start`")
            # Started again (a new port: the link re-reads daemon.json and reconnects on its own).
            info2 = discovery.start_daemon(BIN, self.env, timeout=90)
            self.pids.append(info2["pid"])
            c2 = link.get_client(timeout=10)
            self.assertIsNot(c2, c1)
            self.assertEqual(c2.url, info2["url"])
            self.assertGreater(c2.ping()["time"], 0)
            self.assertIn(DISCONNECTED, changes)
        finally:
            link.stop()
        self._shutdown()

    def test_a_link_with_auto_start_starts_the_daemon_when_nothing_answers(self):
        self.assertIsNone(discovery.read_discovery(self.env))
        link = DaemonLink(lambda: LinkSettings(auto_start=True, cli_path=BIN, env=self.env), backoff_initial=0.2)
        link.start()
        try:
            c = link.get_client(timeout=60)
            info = discovery.read_discovery(self.env)
            self.pids.append(info["pid"])
            self.assertEqual(c.url, info["url"])
            self.assertGreater(c.ping()["time"], 0)
        finally:
            link.stop()
        self._shutdown()

    def test_a_missing_cli_is_reported(self):
        with self.assertRaises(ReconError) as e:
            discovery.start_daemon("/nonexistent/recon-daemon", self.env)
        self.assertEqual(e.exception.code, "DAEMON_NOT_RUNNING")
        self.assertIn("was not found", e.exception.message)



# ---------------------------------------------------------------------------------------------------------
# The shared package: its downloads, the words of its hints, and the Blender add-on's use of it


class DownloadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = ReconClient.connect(client_name="test_recon_client", client_version="1")

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def _job(self, photo=PORTRAIT, opts=None):
        return jobs.wait_for_job(self.c, photo, dict(opts or {}), "auto", 120.0)

    def test_saves_every_file_result_json_lists_copied_or_fetched_byte_for_byte(self):
        job_id, completed = self._job()
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            by_path = download.save_job_files(self.c, job_id, completed, a, "path")
            by_data = download.save_job_files(self.c, job_id, completed, os.path.join(b, "new", "dir"), "data")
            self.assertFalse(by_path.fetched)
            self.assertTrue(by_data.fetched)
            names = set(by_path.result["outputs"].values())
            self.assertTrue({"result.json", "structure.png", "face.obj", "face.mtl", "texture.png"} <= names, names)
            self.assertEqual(sorted(os.listdir(a)), sorted(names))  # no temporary files left
            self.assertEqual(sorted(os.listdir(by_data.dir)), sorted(names))
            for kind, path in by_path.files.items():
                with open(path, "rb") as x, open(by_data.files[kind], "rb") as y, open(os.path.join(completed["dir"], os.path.basename(path)), "rb") as z:
                    data = x.read()
                    self.assertEqual(data, y.read(), kind)
                    self.assertEqual(data, z.read(), kind)

    def test_a_folder_that_cannot_be_written_is_output_not_writable_and_names_leaving_it_are_refused(self):
        job_id, completed = self._job(opts={"outputs": ["structure"]})
        with tempfile.TemporaryDirectory() as root:
            blocker = os.path.join(root, "a file")
            open(blocker, "w").close()
            with self.assertRaises(ReconError) as e:
                download.save_job_files(self.c, job_id, completed, blocker, "auto")
            self.assertEqual(e.exception.code, "OUTPUT_NOT_WRITABLE")
            self.assertIn(blocker, e.exception.message)
        for bad in ("../x.png", "/etc/passwd", "a/../../b", "C:/x", ""):
            with self.assertRaises(ReconError) as e:
                download.safe_join("/tmp/out", bad)
            self.assertEqual(e.exception.code, "PATH_NOT_ALLOWED", bad)
        self.assertEqual(download.safe_join("/tmp/out", "images/a.png"), os.path.join("/tmp/out", "images", "a.png"))

    def test_job_file_names_add_exporter_files_that_result_json_does_not_list(self):
        result = {"outputs": {"structure": "structure.png", "result": "result.json"}}
        completed = {"dir": "/jobs/j1", "files": {"structure": "/jobs/j1/structure.png", "ply:points.ply": "/jobs/j1/points.ply"}}
        self.assertEqual(download.job_file_names(result, completed),
                         {"structure": "structure.png", "result": "result.json", "ply:points.ply": "points.ply"})

    def test_wait_for_job_without_outputs_gets_the_daemons_default_set(self):
        job_id, completed = self._job(opts={"size": 128})
        with tempfile.TemporaryDirectory() as d:
            saved = download.save_job_files(self.c, job_id, completed, d)
            self.assertEqual(saved.result["alignment"]["size"], 128)
            self.assertIn("obj", saved.files)
            self.assertIn("glb", saved.files)
            self.assertIn("structure", saved.files)


class VerdictTest(unittest.TestCase):
    def test_a_fail_verdict_becomes_the_first_failing_checks_code_with_every_message_and_hint(self):
        result = {"quality": {"verdict": "fail", "checks": [
            {"code": "MULTIPLE_FACES", "severity": "warn", "message": "2 faces found", "hint": "Crop the photo."},
            {"code": "POSE_TOO_LARGE", "severity": "fail", "message": "The head is turned (yaw 62°)", "hint": "Use a frontal photo."},
            {"code": "BLURRY", "severity": "fail", "message": "The face is blurry", "hint": "Use a sharper photo."},
        ]}}
        self.assertEqual(results.verdict(result), "fail")
        self.assertEqual(results.verdict(result, {"verdict": "warn"}), "warn")  # job.completed's summary wins
        e = results.failure_error(result)
        self.assertEqual(e.code, "POSE_TOO_LARGE")
        self.assertEqual(e.message, "quality check failed: The head is turned (yaw 62°); The face is blurry")
        self.assertEqual(e.hint, "Use a frontal photo. Use a sharper photo.")
        self.assertEqual([c["code"] for c in e.details["checks"]], ["POSE_TOO_LARGE", "BLURRY"])
        self.assertEqual(results.failure_error({"quality": {"verdict": "fail", "checks": []}}).code, "QUALITY_FAILED")


class HostTextsTest(unittest.TestCase):
    def tearDown(self):
        host.reset()

    def test_hints_name_the_places_of_the_application_around_the_client(self):
        e = errors.daemon_not_running()
        self.assertEqual(e.message, "daemon not running: run `recon-daemon start`")
        self.assertIn("--start", e.hint)  # the command line's words by default
        host.configure(not_running_hint="Or use Face Recon ▸ Start Daemon.", cli_setting="Face Recon ▸ Preferences…")
        self.assertEqual(errors.daemon_not_running().hint, "Or use Face Recon ▸ Start Daemon.")
        with self.assertRaises(ReconError) as e:
            discovery.cli_command("/nonexistent/node /x/recon-daemon.js")
        self.assertIn("Face Recon ▸ Preferences…", e.exception.hint)
        with self.assertRaises(KeyError):
            host.configure(not_runnig_hint="typo")

    def test_the_blender_add_on_from_a_checkout_uses_this_package_and_its_own_words(self):
        # recon_bridge imported from the source tree (no bpy): its recon_client is this very package, loaded under
        # the add-on's name (what a symlinked development copy gets; the zip carries a vendored copy instead).
        code = (
            "import sys, json; sys.path.insert(0, sys.argv[1] + '/integrations/blender-addon')\n"
            "import recon_bridge\n"
            "from recon_bridge.recon_client import errors, client\n"
            "print(json.dumps({'file': client.__file__, 'name': client.__name__, 'hint': errors.daemon_not_running().hint,"
            " 'bpy': recon_bridge.bpy is None}))"
        )
        out = subprocess.run([sys.executable, "-c", code, REPO], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
        r = json.loads(out.stdout.decode())
        self.assertEqual(os.path.realpath(r["file"]), os.path.realpath(os.path.join(REPO, "integrations", "python", "recon_client", "client.py")))
        self.assertEqual(r["name"], "recon_bridge.recon_client.client")
        self.assertTrue(r["hint"].startswith("Or press Start Daemon in the Face Recon panel"), r["hint"])
        self.assertTrue(r["bpy"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
