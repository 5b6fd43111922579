// The engine-free helpers: discovery paths, backoff, frames, output files, handshake refusals.
using System;
using System.Collections.Generic;
using System.IO;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace ReconDaemon.Client.Tests
{
    [TestFixture]
    public class HelpersTests
    {
        private static Func<string, string> Env(Dictionary<string, string> vars)
        {
            return n =>
            {
                string v;
                return vars.TryGetValue(n, out v) ? v : null;
            };
        }

        [Test]
        public void DaemonPathsFollowXdgThenHome()
        {
            var p = DaemonPaths.Compute(Env(new Dictionary<string, string> { { "HOME", "/home/ana" } }));
            Assert.AreEqual(Path.Combine("/home/ana", ".config", "recon-daemon", "token"), p.TokenFile);
            Assert.AreEqual(Path.Combine("/home/ana", ".config", "recon-daemon", "daemon.json"), p.DiscoveryFile, "no runtime dir: the config dir");
            var x = DaemonPaths.Compute(Env(new Dictionary<string, string> { { "HOME", "/home/ana" }, { "XDG_CONFIG_HOME", "/cfg" }, { "XDG_RUNTIME_DIR", "/run/user/1000" } }));
            Assert.AreEqual(Path.Combine("/cfg", "recon-daemon", "token"), x.TokenFile);
            Assert.AreEqual(Path.Combine("/run/user/1000", "recon-daemon", "daemon.json"), x.DiscoveryFile);
            var rel = DaemonPaths.Compute(Env(new Dictionary<string, string> { { "HOME", "/home/ana" }, { "XDG_CONFIG_HOME", "relative/cfg" } }));
            Assert.AreEqual(Path.Combine("/home/ana", ".config", "recon-daemon", "token"), rel.TokenFile, "relative XDG values are ignored");
        }

        [Test]
        public void ResolveExplainsWhatIsMissing()
        {
            var home = Path.Combine(Path.GetTempPath(), "recon-unity-test-" + Guid.NewGuid().ToString("N"));
            var env = Env(new Dictionary<string, string> { { "HOME", home } });
            try
            {
                DaemonDiscovery.Resolve(null, null, env);
                Assert.Fail("expected DAEMON_NOT_RUNNING");
            }
            catch (ReconDaemonException e)
            {
                Assert.AreEqual(ErrorCodes.DaemonNotRunning, e.DataCode);
                StringAssert.Contains("recon-daemon start", e.Hint);
            }
            try
            {
                DaemonDiscovery.Resolve("http://example.org/", "t", env);
                Assert.Fail("expected a URL error");
            }
            catch (ReconDaemonException e)
            {
                Assert.AreEqual("Expected a ws:// or wss:// URL for the daemon address but received \"http://example.org/\"", e.Message);
            }
            try
            {
                DaemonDiscovery.Resolve("ws://127.0.0.1:1234/", null, env);
                Assert.Fail("expected TOKEN_NOT_FOUND");
            }
            catch (ReconDaemonException e)
            {
                Assert.AreEqual(ErrorCodes.TokenNotFound, e.DataCode);
            }
            var ep = DaemonDiscovery.Resolve("ws://127.0.0.1:1234/", " tok ", env);
            Assert.AreEqual("tok", ep.Token);
            Assert.IsTrue(ep.IsLoopback);
            Assert.IsFalse(new DaemonEndpoint(new Uri("ws://192.168.1.20:47613/"), "t").IsLoopback);
        }

        [Test]
        public void ReconnectBackoffDoublesUpToTheCap()
        {
            var p = new ReconnectPolicy();
            Assert.AreEqual(250, p.DelayFor(0).TotalMilliseconds);
            Assert.AreEqual(500, p.DelayFor(1).TotalMilliseconds);
            Assert.AreEqual(1000, p.DelayFor(2).TotalMilliseconds);
            Assert.AreEqual(10000, p.DelayFor(10).TotalMilliseconds);
            Assert.AreEqual(10000, p.DelayFor(1000).TotalMilliseconds);
            var random = new Random(1);
            for (int i = 0; i < 100; i++)
            {
                var d = p.DelayFor(3, random).TotalMilliseconds;
                Assert.IsTrue(d >= 1600 && d <= 2400, "jitter ±20 % of 2 s: " + d);
            }
            Assert.IsFalse(p.ShouldGiveUp(1000));
            Assert.IsTrue(new ReconnectPolicy { MaxAttempts = 3 }.ShouldGiveUp(3));
        }

        [Test]
        public void TheStructureMapSpansSkMetresCentredBelowThePupils()
        {
            Assert.AreEqual(0.063 / (0.28 * 256), FaceFrame.MetresPerPixel(256), 1e-15);
            foreach (var s in new[] { 128, 256, 512, 1024 })
            {
                var plane = FaceFrame.ReferencePlaneFor(s, FaceFrame.MetresPerPixel(s));
                Assert.AreEqual(0.225, plane.Side, 1e-12, "S·k = 0.063/0.28 m for every S");
                Assert.AreEqual(-0.0225, plane.CentreMesh.Y, 1e-12, "centre at −0.1·S·k");
                Assert.AreEqual(0, plane.CentreMesh.X, 1e-12);
                Assert.AreEqual(-FaceFrame.DefaultQuadDepth, plane.CentreUnity.Z, 1e-12, "behind the face");
                Assert.AreEqual(180, plane.YawDegrees);
            }
            var eyes = FaceFrame.CropToMesh(128, 0.4 * 256, 256, FaceFrame.MetresPerPixel(256));
            Assert.AreEqual(0, eyes.X, 1e-12);
            Assert.AreEqual(0, eyes.Y, 1e-12, "the pupils' midpoint is the mesh origin");
            var right = FaceFrame.MeshToUnity(new Vec3(0.03, 0.01, 0.02));
            Assert.AreEqual(-0.03, right.X, 1e-12, "Unity's importers mirror X");
            Assert.AreEqual(0.01, right.Y, 1e-12);
            Assert.AreEqual(0.02, right.Z, 1e-12);
            var fromJson = FaceFrame.ReferencePlaneFor(JObject.Parse("{\"alignment\":{\"size\":512,\"metresPerPixel\":0.000439453125}}"));
            Assert.AreEqual(512, fromJson.Size);
            Assert.AreEqual(0.225, fromJson.Side, 1e-12);
            Assert.AreEqual(256, FaceFrame.ReferencePlaneFor(new JObject()).Size, "defaults when result.json says nothing");
        }

        [Test]
        public void TheQuadShowsTheMapInTheMeshsView()
        {
            var both = "\"outputs\":{\"structure\":\"structure.png\",\"front-structure\":\"front-structure.png\",\"glb\":\"face.glb\"},\"frames\":{\"structure\":\"camera\",\"front-structure\":\"front\",\"glb\":\"%V\"}";
            var front = JObject.Parse("{" + both.Replace("%V", "front") + ",\"mesh\":{\"view\":\"front\",\"pose\":{\"yaw\":-16,\"pitch\":2,\"roll\":1}}}");
            Assert.AreEqual(OutputKinds.FrontStructure, FaceFrame.ReferenceKind(front));
            Assert.AreEqual("front-structure.png", FaceFrame.ReferenceFileName(front, Views.Camera), "the mesh's view decides, not the preference");
            Assert.AreEqual(-16, FaceFrame.HeadPose(front).Yaw);
            var camera = JObject.Parse("{" + both.Replace("%V", "camera") + ",\"mesh\":{\"view\":\"camera\"}}");
            Assert.AreEqual("structure.png", FaceFrame.ReferenceFileName(camera));
            var noMesh = JObject.Parse("{\"outputs\":{\"structure\":\"structure.png\",\"front-structure\":\"front-structure.png\"}}");
            Assert.AreEqual(OutputKinds.FrontStructure, FaceFrame.ReferenceKind(noMesh), "no mesh: the preferred view (front by default)");
            Assert.AreEqual(OutputKinds.Structure, FaceFrame.ReferenceKind(noMesh, Views.Camera));
            var older = JObject.Parse("{\"outputs\":{\"structure\":\"structure.png\",\"glb\":\"face.glb\"},\"mesh\":{\"units\":\"metres\"}}");
            Assert.AreEqual("structure.png", FaceFrame.ReferenceFileName(older), "a daemon without the front view");
            Assert.IsNull(FaceFrame.ReferenceKind(JObject.Parse("{\"outputs\":{\"glb\":\"face.glb\"}}")));
            Assert.IsNull(FaceFrame.HeadPose(new JObject()));
        }

        [Test]
        public void TheViewAndSubdivisionOptionsTravelAsTheProtocolNamesThem()
        {
            var json = Newtonsoft.Json.JsonConvert.SerializeObject(new ReconstructOptions { View = Views.Camera, Subdivisions = 2 });
            Assert.AreEqual("{\"view\":\"camera\",\"subdivisions\":2}", json);
            Assert.AreEqual("{}", Newtonsoft.Json.JsonConvert.SerializeObject(new ReconstructOptions()));
            CollectionAssert.Contains(JobOutputs.KnownFileNames, "front-structure.png");
            CollectionAssert.Contains(JobOutputs.KnownFileNames, "texture-normal.png");
        }

        [Test]
        public void ResultJsonBecomesAJobResult()
        {
            var json = JObject.Parse("{\"outputs\":{\"obj\":\"face.obj\",\"result\":\"result.json\"},\"quality\":{\"verdict\":\"pass\"},\"faces\":[{},{\"pose\":{\"yaw\":-4,\"pitch\":1,\"roll\":0}}],\"reconstructed\":[1],\"timings\":{\"total\":20}}");
            var r = JobResult.FromResultJson("j", "C:\\jobs\\j", json);
            Assert.AreEqual("C:\\jobs\\j\\face.obj", r.Files["obj"]);
            Assert.AreEqual("face.obj", r.FileName("obj"));
            Assert.AreEqual(2, r.Faces);
            Assert.AreEqual(-4.0, r.Pose.Yaw);
            Assert.AreEqual("/jobs/j/result.json", JobResult.FromResultJson("j", "/jobs/j/", json).Files["result"]);
        }

        [Test]
        public void OutputFilesAreNamedSafelyAndLeftoversFound()
        {
            Assert.AreEqual("control_obama_official_portrait", JobOutputs.SafeBaseName("/x/control_obama_official_portrait.jpg"));
            Assert.AreEqual("my_selfie_2", JobOutputs.SafeBaseName("C:/p/my selfie (2).PNG"));
            Assert.AreEqual("face", JobOutputs.SafeBaseName("/x/.jpg"));
            var dir = Path.Combine(Path.GetTempPath(), "recon-unity-out-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                foreach (var f in new[] { "structure.png", "face.obj", "notes.txt" }) File.WriteAllText(Path.Combine(dir, f), "x");
                var stale = JobOutputs.StaleOutputs(dir, new[] { Path.Combine(dir, "structure.png") }, JobOutputs.KnownFileNames);
                CollectionAssert.AreEqual(new[] { Path.Combine(dir, "face.obj") }, stale, "only daemon outputs this run did not write; the user's files stay");
                var evil = new JobResult { JobId = "j", Files = new Dictionary<string, string> { { "x", "/jobs/j/..hidden" } } };
                try
                {
                    JobOutputs.CopyToAsync(null, evil, dir).Wait();
                    Assert.Fail("expected a refusal");
                }
                catch (AggregateException e)
                {
                    Assert.AreEqual(ErrorCodes.ProtocolError, ((ReconDaemonException)e.GetBaseException()).DataCode);
                }
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        [Test]
        public void HandshakeRefusalsCarryTheDaemonsCodeAndHint()
        {
            var body = "{\"error\":{\"code\":-32003,\"message\":\"The token does not match this daemon's token\",\"data\":{\"code\":\"UNAUTHORIZED\",\"hint\":\"Use the token file.\"}}}";
            var e = HandshakeProbe.FromHttpAnswer(401, body, new Uri("ws://127.0.0.1:1/"));
            Assert.AreEqual(-32003, e.Code);
            Assert.AreEqual("UNAUTHORIZED", e.DataCode);
            Assert.AreEqual("Use the token file.", e.Hint);
            var plain = HandshakeProbe.FromHttpAnswer(503, "busy", new Uri("ws://127.0.0.1:1/"));
            Assert.AreEqual(ErrorCodes.ServerBusy, plain.DataCode);
            Assert.AreEqual("The server at ws://127.0.0.1:1/ refused the connection with HTTP 503", plain.Message);
        }

        [Test]
        public void StartCommandsAreQuotedForTheShell()
        {
            Assert.AreEqual("\"recon-daemon start\"", DaemonLauncher.QuoteArgument("recon-daemon start"));
            Assert.AreEqual("\"say \\\"hi\\\"\"", DaemonLauncher.QuoteArgument("say \"hi\""));
            Assert.AreEqual("\"C:\\dir\\\\\"", DaemonLauncher.QuoteArgument("C:\\dir\\"));
        }
    }
}
