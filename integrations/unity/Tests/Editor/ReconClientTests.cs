// The client's JSON-RPC behaviour against a scripted in-memory daemon: handshake, request/response matching,
// notifications and job outcomes, errors, timeouts. Synchronous test methods (they block on the client's tasks),
// so they run under Unity's Test Framework (NUnit 3) and under NUnit 2.6 in test/unity.test.ts alike.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace ReconDaemon.Client.Tests
{
    [TestFixture]
    public class ReconClientTests
    {
        private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

        private static ReconClient NewClient(FakeTransport transport, ReconClientOptions options = null)
        {
            options = options ?? new ReconClientOptions();
            options.EndpointResolver = () => new DaemonEndpoint(new Uri("ws://127.0.0.1:47613/"), "secret-token");
            options.AutoReconnect = false;
            return new ReconClient(options, null, () => transport);
        }

        // Answers initialize; everything else through `more`.
        private static FakeTransport Daemon(Func<JObject, IEnumerable<JObject>> more = null, string protocolVersion = "1.0")
        {
            var t = new FakeTransport();
            t.Daemon = req =>
            {
                if ((string)req["method"] == "initialize") return new[] { FakeTransport.Result(req, FakeTransport.InitializeResult(protocolVersion)).ToString() };
                return more == null ? new string[0] : more(req).Select(o => o.ToString()).ToArray();
            };
            return t;
        }

        private static T Run<T>(Task<T> task)
        {
            Assert.IsTrue(task.Wait(Wait), "timed out");
            return task.Result;
        }

        private static void Run(Task task)
        {
            Assert.IsTrue(task.Wait(Wait), "timed out");
        }

        private static ReconDaemonException Fails(Task task)
        {
            try
            {
                task.Wait(Wait);
            }
            catch (AggregateException e)
            {
                var r = e.GetBaseException() as ReconDaemonException;
                Assert.IsNotNull(r, "expected a ReconDaemonException but got " + e.GetBaseException());
                return r;
            }
            Assert.Fail("expected the task to fail");
            return null;
        }

        [Test]
        public void ConnectSendsTheTokenAndInitialize()
        {
            var t = Daemon();
            using (var c = NewClient(t, new ReconClientOptions { ClientInfo = new ClientInfo { Name = "unit", Version = "1.2.3" } }))
            {
                Run(c.ConnectAsync());
                Assert.AreEqual("Bearer secret-token", t.Headers["Authorization"]);
                Assert.IsFalse(t.Headers.ContainsKey("Origin"), "a non-browser client sends no Origin");
                var init = t.SentSnapshot()[0];
                Assert.AreEqual("2.0", (string)init["jsonrpc"]);
                Assert.AreEqual("initialize", (string)init["method"]);
                Assert.AreEqual("1.0", (string)init["params"]["protocolVersion"]);
                Assert.AreEqual("unit", (string)init["params"]["clientInfo"]["name"]);
                Assert.AreEqual("1.2.3", (string)init["params"]["clientInfo"]["version"]);
                Assert.AreEqual(ConnectionState.Connected, c.State);
                Assert.AreEqual("9.9.9", c.Server.ServerInfo.Version);
                Assert.AreEqual("c-000000000001", c.Server.ClientId);
            }
        }

        [Test]
        public void RefusesADaemonWithAnotherMajorProtocolVersion()
        {
            var t = Daemon(null, "2.0");
            using (var c = NewClient(t))
            {
                var e = Fails(c.ConnectAsync());
                Assert.AreEqual(ErrorCodes.UnsupportedProtocolVersion, e.DataCode);
                Assert.AreEqual("The daemon speaks protocol 2.0 but this client speaks 1.0", e.Message);
                Assert.AreEqual(ConnectionState.Disconnected, c.State);
            }
        }

        [Test]
        public void ReportsTheDaemonsErrorWithCodeMessageAndHint()
        {
            var t = Daemon(req => new[] { FakeTransport.Error(req, -32602, "INVALID_PARAMS", "Expected integer 128–1024 for options.size but received 2000", "See docs.") });
            using (var c = NewClient(t))
            {
                Run(c.ConnectAsync());
                var e = Fails(c.SubmitAsync(ImageInput.FromPath("/p.jpg"), new ReconstructOptions { Size = 2000 }));
                Assert.AreEqual(-32602, e.Code);
                Assert.AreEqual("INVALID_PARAMS", e.DataCode);
                Assert.AreEqual("Expected integer 128–1024 for options.size but received 2000", e.Message);
                Assert.AreEqual("See docs.", e.Hint);
                Assert.IsFalse(e.IsClientSide);
                var sent = t.SentSnapshot()[1];
                Assert.AreEqual("recon.reconstruct", (string)sent["method"]);
                Assert.AreEqual("/p.jpg", (string)sent["params"]["image"]["path"]);
                Assert.IsNull(sent["params"]["image"]["data"], "unset fields are not sent (the daemon refuses unknown or null fields)");
                Assert.AreEqual(2000, (int)sent["params"]["options"]["size"]);
                Assert.IsNull(sent["params"]["options"]["detail"]);
            }
        }

        [Test]
        public void ReplaysProgressThatArrivesBeforeTheJobIdIsKnownThenCompletes()
        {
            // The daemon answers with the job id and reports at once, in the same burst.
            var t = Daemon(req => (string)req["method"] != "recon.reconstruct"
                ? new JObject[0]
                : new[]
                {
                    FakeTransport.Result(req, new JObject { { "jobId", "job-1" } }),
                    FakeTransport.Notification("job.progress", new JObject { { "jobId", "job-1" }, { "stage", "queued" }, { "fraction", 0 } }),
                    FakeTransport.Notification("job.progress", new JObject { { "jobId", "job-1" }, { "stage", "decode" }, { "fraction", 0.2 } }),
                    FakeTransport.Notification("job.completed", new JObject
                    {
                        { "jobId", "job-1" },
                        { "result", new JObject
                            {
                                { "dir", "/out/job-1" }, { "files", new JObject { { "structure", "/out/job-1/structure.png" } } }, { "verdict", "pass" },
                                { "pose", new JObject { { "yaw", 1.5 }, { "pitch", 0 }, { "roll", 0 } } }, { "timings", new JObject { { "total", 12.5 } } },
                                { "faces", 1 }, { "reconstructed", new JArray(0) }, { "someFutureField", true },
                            }
                        },
                    }),
                });
            using (var c = NewClient(t))
            {
                Run(c.ConnectAsync());
                var stages = new List<string>();
                string jobId = null;
                var r = Run(c.ReconstructAsync(ImageInput.FromPath("/p.jpg"), null, p => stages.Add(p.Stage), CancellationToken.None, id => jobId = id));
                Assert.AreEqual("job-1", jobId);
                Assert.AreEqual("job-1", r.JobId);
                CollectionAssert.AreEqual(new[] { "queued", "decode" }, stages);
                Assert.AreEqual("/out/job-1/structure.png", r.Files["structure"]);
                Assert.AreEqual("structure.png", r.FileName("structure"));
                Assert.IsNull(r.FileName("glb"));
                Assert.AreEqual(1.5, r.Pose.Yaw);
                Assert.AreEqual(12.5, r.Timings["total"]);
            }
        }

        [Test]
        public void AFailedJobRaisesTheDaemonsErrorAndTheEvent()
        {
            var t = Daemon(req => (string)req["method"] != "recon.reconstruct"
                ? new JObject[0]
                : new[]
                {
                    FakeTransport.Result(req, new JObject { { "jobId", "job-2" } }),
                    FakeTransport.Notification("job.failed", new JObject
                    {
                        { "jobId", "job-2" }, { "dir", "/out/job-2" },
                        { "error", new JObject { { "code", -32803 }, { "message", "No face found in cat.png" }, { "data", new JObject { { "code", "NO_FACE" }, { "hint", "Use a photo with a face." } } } } },
                    }),
                });
            using (var c = NewClient(t))
            {
                JobFailure seen = null;
                c.JobFailedReceived += f => seen = f;
                Run(c.ConnectAsync());
                var e = Fails(c.ReconstructAsync(ImageInput.FromPath("/cat.png")));
                Assert.AreEqual(-32803, e.Code);
                Assert.AreEqual("NO_FACE", e.DataCode);
                Assert.AreEqual("Use a photo with a face.", e.Hint);
                Assert.AreEqual("No face found in cat.png\n\nUse a photo with a face.", e.ToUserText());
                Assert.IsNotNull(seen);
                Assert.AreEqual("/out/job-2", seen.Dir);
            }
        }

        [Test]
        public void CancellingTheTokenSendsJobCancel()
        {
            var cancelled = new ManualResetEventSlim();
            var t = Daemon(req =>
            {
                switch ((string)req["method"])
                {
                    case "recon.reconstruct":
                        return new[] { FakeTransport.Result(req, new JObject { { "jobId", "job-3" } }) };
                    case "job.cancel":
                        cancelled.Set();
                        return new[]
                        {
                            FakeTransport.Result(req, new JObject { { "jobId", "job-3" }, { "cancelled", true }, { "state", "cancelled" } }),
                            FakeTransport.Notification("job.failed", new JObject
                            {
                                { "jobId", "job-3" },
                                { "error", new JObject { { "code", -32800 }, { "message", "The job was cancelled before it started" }, { "data", new JObject { { "code", "REQUEST_CANCELLED" }, { "hint", "" } } } } },
                            }),
                        };
                    default:
                        return new JObject[0];
                }
            });
            using (var c = NewClient(t))
            using (var cts = new CancellationTokenSource())
            {
                Run(c.ConnectAsync());
                var job = c.ReconstructAsync(ImageInput.FromPath("/p.jpg"), null, null, cts.Token, id => cts.Cancel());
                var e = Fails(job);
                Assert.IsTrue(cancelled.IsSet);
                Assert.IsTrue(e.IsCancellation);
                var cancel = t.SentSnapshot().First(m => (string)m["method"] == "job.cancel");
                Assert.AreEqual("job-3", (string)cancel["params"]["jobId"]);
            }
        }

        [Test]
        public void ARequestWithoutAnAnswerTimesOut()
        {
            var t = Daemon(); // never answers ping
            using (var c = NewClient(t, new ReconClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(200) }))
            {
                Run(c.ConnectAsync());
                var e = Fails(c.PingAsync());
                Assert.AreEqual(ErrorCodes.Timeout, e.DataCode);
                Assert.IsTrue(e.IsClientSide);
                StringAssert.Contains("did not answer ping", e.Message);
            }
        }

        [Test]
        public void IgnoresJunkAnswersBatchesAndRefusesDaemonRequests()
        {
            var t = Daemon(req => (string)req["method"] != "ping"
                ? new JObject[0]
                : new[] { FakeTransport.Result(req, new JObject { { "time", 42 } }) });
            using (var c = NewClient(t))
            {
                Run(c.ConnectAsync());
                t.Push("{not json");
                t.Push(new JObject { { "jsonrpc", "2.0" }, { "id", 999 }, { "result", 1 } }); // nobody asked
                t.Push(new JObject { { "jsonrpc", "2.0" }, { "id", "s1" }, { "method", "client.doSomething" } }); // a request to the client
                var progress = new List<string>();
                c.JobProgressReceived += p => progress.Add(p.JobId);
                t.Push("[" + FakeTransport.Notification("job.progress", new JObject { { "jobId", "a" }, { "stage", "x" }, { "fraction", 0.5 } }) + "," +
                       FakeTransport.Notification("job.progress", new JObject { { "jobId", "b" }, { "stage", "x" }, { "fraction", 0.5 } }) + "]");
                Assert.AreEqual(42.0, Run(c.PingAsync()));
                CollectionAssert.AreEqual(new[] { "a", "b" }, progress);
                var reply = t.SentSnapshot().FirstOrDefault(m => (string)m["id"] == "s1");
                Assert.IsNotNull(reply, "a request from the daemon is answered");
                Assert.AreEqual(-32601, (int)reply["error"]["code"]);
            }
        }

        [Test]
        public void PendingRequestsFailWhenTheDaemonCloses()
        {
            var t = Daemon();
            using (var c = NewClient(t))
            {
                Run(c.ConnectAsync());
                var ping = c.PingAsync();
                t.PeerClose("1001 shutting down");
                var e = Fails(ping);
                Assert.AreEqual(ErrorCodes.ConnectionLost, e.DataCode);
                StringAssert.Contains("1001 shutting down", e.Message);
                Assert.AreEqual(ConnectionState.Disconnected, c.State);
            }
        }

        [Test]
        public void ResumesAJobOfAnEarlierConnectionThroughJobsList()
        {
            // A job this client did not submit (e.g. before an editor reload): subscribe, then jobs.list says it
            // completed, and result.json gives its files.
            var resultJson = new JObject
            {
                { "outputs", new JObject { { "structure", "structure.png" }, { "result", "result.json" } } },
                { "quality", new JObject { { "verdict", "warn" } } }, { "faces", new JArray(new JObject { { "pose", new JObject { { "yaw", 3 }, { "pitch", 0 }, { "roll", 0 } } } }) },
                { "reconstructed", new JArray(0) }, { "timings", new JObject { { "total", 5 } } },
            };
            var t = Daemon(req =>
            {
                switch ((string)req["method"])
                {
                    case "events.subscribe":
                        return new[] { FakeTransport.Result(req, new JObject { { "events", req["params"]["events"] } }) };
                    case "jobs.list":
                        return new[] { FakeTransport.Result(req, new JObject { { "jobs", new JArray(new JObject { { "jobId", "old" }, { "state", "completed" }, { "dir", "/out/old" } }) } }) };
                    case "result.read":
                        return new[] { FakeTransport.Result(req, new JObject { { "jobId", "old" }, { "path", "result.json" }, { "size", 1 }, { "data", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(resultJson.ToString())) } }) };
                    default:
                        return new JObject[0];
                }
            });
            using (var c = NewClient(t))
            {
                Run(c.ConnectAsync());
                var r = Run(c.WaitForJobAsync("old"));
                Assert.AreEqual("/out/old/structure.png", r.Files["structure"]);
                Assert.AreEqual("warn", r.Verdict);
                Assert.AreEqual(3.0, r.Pose.Yaw);
                var subscribe = t.SentSnapshot().First(m => (string)m["method"] == "events.subscribe");
                CollectionAssert.AreEquivalent(new[] { "job.progress", "job.completed", "job.failed" }, subscribe["params"]["events"].ToObject<string[]>());
                Assert.IsTrue((bool)t.SentSnapshot().First(m => (string)m["method"] == "jobs.list")["params"]["all"]);
            }
        }

        [Test]
        public void ListsPluginCommands()
        {
            var t = Daemon(req => (string)req["method"] != "commands.list"
                ? new JObject[0]
                : new[] { FakeTransport.Result(req, new JObject { { "commands", new JArray(new JObject { { "command", "demo.hello" }, { "title", "Say Hello" }, { "plugin", "demo" }, { "pluginState", "inactive" }, { "registered", false } }, new JObject { { "command", "demo.untitled" }, { "plugin", "demo" } }) } }) });
            using (var c = NewClient(t))
            {
                Run(c.ConnectAsync());
                var list = Run(c.ListCommandsAsync());
                Assert.AreEqual(2, list.Length);
                Assert.AreEqual("demo.hello", list[0].Command);
                Assert.AreEqual("Say Hello", list[0].DisplayTitle);
                Assert.AreEqual("demo", list[0].Plugin);
                Assert.AreEqual("inactive", list[0].PluginState);
                Assert.AreEqual("demo.untitled", list[1].DisplayTitle, "a command without a title shows its id");
            }
        }
    }
}
