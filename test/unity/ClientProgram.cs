// Test program for the Unity package's engine-free client (integrations/unity/Runtime), built with mono's mcs
// and run by test/unity.test.ts against a real recon-daemon. It finds the daemon the way the editor does
// (discovery file + token file, through the XDG variables the test sets) and prints one JSON object per line on
// stdout, prefixed with "@@ ", for the test to assert on. Logs go to stderr.
//
//   mono ClientProgram.exe reconstruct <photo> <destDir>
//   mono ClientProgram.exe noface <photo>
//   mono ClientProgram.exe cancel <photo>
//   mono ClientProgram.exe errors
//   mono ClientProgram.exe drop <photo>
//   mono ClientProgram.exe restart            (the test restarts the daemon after "ready")
//   mono ClientProgram.exe autostart <command>
//   mono ClientProgram.exe commands
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using ReconDaemon.Client;

internal static class ClientProgram
{
    private static readonly object OutLock = new object();
    private static readonly DateTime Started = DateTime.UtcNow;
    private static readonly IReconLogger Log = new TextWriterLogger(Console.Error, LogLevel.Debug);

    private static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: ClientProgram <mode> …");
            return 2;
        }
        try
        {
            var run = Run(args[0], args.Skip(1).ToArray());
            if (!run.Wait(TimeSpan.FromSeconds(280)))
            {
                Emit("timeout", new JObject());
                return 3;
            }
            Emit("done", new JObject());
            return 0;
        }
        catch (Exception e)
        {
            var inner = e is AggregateException ? ((AggregateException)e).GetBaseException() : e;
            Emit("crash", new JObject { { "error", inner.ToString() } });
            return 1;
        }
    }

    private static void Emit(string evt, JObject fields)
    {
        fields["event"] = evt;
        fields["ms"] = (long)(DateTime.UtcNow - Started).TotalMilliseconds;
        lock (OutLock)
        {
            Console.Out.WriteLine("@@ " + fields.ToString(Formatting.None));
            Console.Out.Flush();
        }
    }

    private static JObject ErrorFields(Exception e)
    {
        var r = (e is AggregateException ? ((AggregateException)e).GetBaseException() : e) as ReconDaemonException;
        if (r == null) return new JObject { { "type", e.GetType().FullName }, { "message", e.Message } };
        return new JObject
        {
            { "type", "ReconDaemonException" }, { "code", r.Code }, { "dataCode", r.DataCode }, { "message", r.Message },
            { "hint", r.Hint }, { "isCancellation", r.IsCancellation }, { "isClientSide", r.IsClientSide },
        };
    }

    private static ReconClient NewClient(ReconClientOptions options = null, Func<ITransport> transport = null)
    {
        options = options ?? new ReconClientOptions();
        options.ClientInfo = new ClientInfo { Name = "unity-client-test", Version = ReconClient.Version };
        options.Reconnect.InitialDelay = TimeSpan.FromMilliseconds(100);
        options.Reconnect.MaxDelay = TimeSpan.FromSeconds(1);
        var client = new ReconClient(options, Log, transport);
        client.StateChanged += s => Emit("state", new JObject { { "state", s.ToString() } });
        client.ReconnectScheduled += (attempt, delay) => Emit("reconnectScheduled", new JObject { { "attempt", attempt }, { "delayMs", delay.TotalMilliseconds } });
        return client;
    }

    private static Task Run(string mode, string[] a)
    {
        switch (mode)
        {
            case "reconstruct": return Reconstruct(a[0], a[1]);
            case "noface": return NoFace(a[0]);
            case "cancel": return Cancel(a[0]);
            case "errors": return Errors();
            case "drop": return Drop(a[0]);
            case "restart": return Restart();
            case "autostart": return AutoStart(string.Join(" ", a));
            case "commands": return Commands();
            default: throw new ArgumentException("unknown mode " + mode);
        }
    }

    private static JObject ResultFields(JobResult r)
    {
        return new JObject
        {
            { "jobId", r.JobId }, { "dir", r.Dir }, { "files", JObject.FromObject(r.Files) }, { "verdict", r.Verdict },
            { "faces", r.Faces }, { "reconstructed", new JArray(r.Reconstructed) },
            { "pose", r.Pose == null ? null : JObject.FromObject(r.Pose) }, { "total", r.Timings.ContainsKey("total") ? r.Timings["total"] : -1 },
        };
    }

    // A photo by path: every progress notification, the result, the outputs copied from disk and fetched with
    // result.read (identical bytes), and the reference-quad geometry from result.json. Then the same photo as
    // bytes with options, to check that options travel.
    private static async Task Reconstruct(string photo, string destDir)
    {
        using (var client = NewClient())
        {
            await client.ConnectAsync();
            Emit("connected", new JObject
            {
                { "serverName", client.Server.ServerInfo.Name }, { "serverVersion", client.Server.ServerInfo.Version },
                { "protocolVersion", client.Server.ProtocolVersion }, { "clientId", client.Server.ClientId },
                { "url", client.Endpoint.Url.ToString() }, { "loopback", client.Endpoint.IsLoopback },
                { "methods", new JArray(client.Server.Capabilities.Methods) },
            });
            string jobIdSeen = null;
            var result = await client.ReconstructAsync(ImageInput.FromPath(photo), null,
                p => Emit("progress", new JObject { { "jobId", p.JobId }, { "stage", p.Stage }, { "fraction", p.Fraction } }),
                CancellationToken.None, id => jobIdSeen = id);
            var fields = ResultFields(result);
            fields["jobIdSeen"] = jobIdSeen;
            Emit("completed", fields);

            var local = await JobOutputs.CopyToAsync(client, result, Path.Combine(destDir, "local"));
            var remote = await JobOutputs.CopyToAsync(client, result, Path.Combine(destDir, "remote"), null, true);
            var sizes = new JObject();
            bool same = local.Count == remote.Count && local.Count > 0;
            foreach (var kv in local)
            {
                var bytes = File.ReadAllBytes(kv.Value);
                sizes[kv.Key] = bytes.Length;
                string other;
                same &= remote.TryGetValue(kv.Key, out other) && bytes.SequenceEqual(File.ReadAllBytes(other));
            }
            Emit("copied", new JObject { { "sizes", sizes }, { "sameAsResultRead", same }, { "dir", Path.Combine(destDir, "local") } });
            var tmpLeft = Directory.GetFiles(Path.Combine(destDir, "local"), ".*.tmp").Length;

            var resultJson = JObject.Parse(File.ReadAllText(local[OutputKinds.Result]));
            var plane = FaceFrame.ReferencePlaneFor(resultJson);
            Emit("plane", new JObject
            {
                { "size", plane.Size }, { "metresPerPixel", plane.MetresPerPixel }, { "formulaMetresPerPixel", FaceFrame.MetresPerPixel(plane.Size) },
                { "side", plane.Side }, { "centreMesh", new JArray(plane.CentreMesh.X, plane.CentreMesh.Y, plane.CentreMesh.Z) },
                { "centreUnity", new JArray(plane.CentreUnity.X, plane.CentreUnity.Y, plane.CentreUnity.Z) }, { "yaw", plane.YawDegrees },
                { "tmpFilesLeft", tmpLeft },
                { "reference", FaceFrame.ReferenceFileName(resultJson) },
                { "referenceCamera", FaceFrame.ReferenceFileName(resultJson, Views.Camera) },
                { "meshView", resultJson["mesh"]?["view"] },
                { "headPoseYaw", FaceFrame.HeadPose(resultJson)?.Yaw },
            });

            // The camera-view preference: the mesh in the camera's frame, so the quad shows structure.png.
            var camera = await client.ReconstructAsync(ImageInput.FromPath(photo),
                new ReconstructOptions { Outputs = new[] { OutputKinds.Structure, OutputKinds.FrontStructure, OutputKinds.Glb }, View = Views.Camera, Subdivisions = 0 });
            var cameraJson = JObject.Parse(System.Text.Encoding.UTF8.GetString(await client.ReadResultAsync(camera.JobId, "result.json")));
            Emit("cameraView", new JObject
            {
                { "reference", FaceFrame.ReferenceFileName(cameraJson, Views.Front) }, { "meshView", cameraJson["mesh"]?["view"] },
                { "vertices", cameraJson["mesh"]?["vertices"] }, { "files", new JArray(camera.Files.Keys.OrderBy(k => k, StringComparer.Ordinal)) },
            });

            // Bytes instead of a path (what the editor sends to a daemon on another machine), with options.
            var small = await client.ReconstructAsync(ImageInput.FromBytes(File.ReadAllBytes(photo)),
                new ReconstructOptions { Outputs = new[] { OutputKinds.Structure }, Size = 128, Detail = 0 });
            var smallJson = JObject.Parse(System.Text.Encoding.UTF8.GetString(await client.ReadResultAsync(small.JobId, "result.json")));
            var smallPlane = FaceFrame.ReferencePlaneFor(smallJson);
            var f2 = ResultFields(small);
            f2["size"] = smallPlane.Size;
            f2["side"] = smallPlane.Side;
            f2["source"] = smallJson["source"];
            Emit("completedBytes", f2);

            var jobs = await client.ListJobsAsync();
            Emit("jobs", new JObject { { "ids", new JArray(jobs.Select(j => j.JobId)) }, { "states", new JArray(jobs.Select(j => j.State)) } });
            await client.CloseAsync();
            Emit("closed", new JObject { { "state", client.State.ToString() } });
        }
    }

    private static async Task NoFace(string photo)
    {
        using (var client = NewClient())
        {
            await client.ConnectAsync();
            string jobId = null;
            try
            {
                var r = await client.ReconstructAsync(ImageInput.FromPath(photo), null, null, CancellationToken.None, id => jobId = id);
                Emit("unexpectedSuccess", ResultFields(r));
            }
            catch (ReconDaemonException e)
            {
                var f = ErrorFields(e);
                f["jobId"] = jobId;
                Emit("failed", f);
            }
            // The job's folder still has a result.json saying why.
            var json = JObject.Parse(System.Text.Encoding.UTF8.GetString(await client.ReadResultAsync(jobId, "result.json")));
            Emit("resultJson", new JObject { { "error", json["error"] } });
            // A missing file fails the same way, with its own code.
            try
            {
                await client.ReconstructAsync(ImageInput.FromPath(Path.Combine(Path.GetTempPath(), "no-such-photo-" + Guid.NewGuid() + ".jpg")));
            }
            catch (ReconDaemonException e)
            {
                Emit("missing", ErrorFields(e));
            }
            // Invalid params are refused at once, with the daemon's wording.
            try
            {
                await client.SubmitAsync(ImageInput.FromPath(photo), new ReconstructOptions { Size = 2000 });
            }
            catch (ReconDaemonException e)
            {
                Emit("invalid", ErrorFields(e));
            }
        }
    }

    // Queue several jobs on the daemon's one worker and cancel the queued ones right after submitting; then cancel
    // a running job through the CancellationToken of ReconstructAsync.
    private static async Task Cancel(string photo)
    {
        using (var client = NewClient())
        {
            await client.ConnectAsync();
            var ids = new List<string>();
            for (int i = 0; i < 3; i++) ids.Add(await client.SubmitAsync(ImageInput.FromPath(photo)));
            Emit("submitted", new JObject { { "ids", new JArray(ids) } });
            for (int i = 1; i < 3; i++)
            {
                var c = await client.CancelJobAsync(ids[i]);
                Emit("cancelResult", new JObject { { "jobId", c.JobId }, { "cancelled", c.Cancelled }, { "state", c.State } });
            }
            for (int i = 0; i < 3; i++)
            {
                var stages = new List<string>();
                try
                {
                    var r = await client.WaitForJobAsync(ids[i], p => stages.Add(p.Stage));
                    Emit("outcome", new JObject { { "index", i }, { "jobId", r.JobId }, { "ok", true }, { "stages", new JArray(stages) } });
                }
                catch (ReconDaemonException e)
                {
                    var f = ErrorFields(e);
                    f["index"] = i;
                    f["ok"] = false;
                    f["stages"] = new JArray(stages);
                    Emit("outcome", f);
                }
            }
            var again = await client.CancelJobAsync(ids[1]);
            Emit("cancelAgain", new JObject { { "cancelled", again.Cancelled }, { "state", again.State } });

            // A running job, cancelled through the token as soon as it starts. The engine stops at its next stage
            // boundary; on a loaded machine the notification may reach us so late that the job is already writing
            // its outputs and completes anyway (docs/protocol.md, job.cancel), so up to three attempts.
            for (int attempt = 1; attempt <= 3; attempt++)
            {
                using (var cts = new CancellationTokenSource())
                {
                    var stages = new List<string>();
                    try
                    {
                        await client.ReconstructAsync(ImageInput.FromPath(photo), null, p =>
                        {
                            lock (stages) stages.Add(p.Stage);
                            if (p.Stage == "started") cts.Cancel();
                        }, cts.Token);
                        Emit("runningCancelTooLate", new JObject { { "attempt", attempt }, { "stages", new JArray(stages) } });
                        if (attempt < 3) continue;
                        Emit("runningCancel", new JObject { { "ok", true }, { "attempts", attempt }, { "stages", new JArray(stages) } });
                    }
                    catch (ReconDaemonException e)
                    {
                        var f = ErrorFields(e);
                        f["ok"] = false;
                        f["attempts"] = attempt;
                        lock (stages) f["stages"] = new JArray(stages);
                        Emit("runningCancel", f);
                    }
                    break;
                }
            }
            try
            {
                await client.CancelJobAsync("no-such-job");
            }
            catch (ReconDaemonException e)
            {
                Emit("cancelUnknown", ErrorFields(e));
            }
        }
    }

    // Connection failures, each with its code and hint.
    private static async Task Errors()
    {
        var found = DaemonDiscovery.Discover();
        Emit("discovered", new JObject { { "url", found == null ? null : found.Url.ToString() }, { "hasToken", found != null && found.Token != null } });

        using (var bad = NewClient(new ReconClientOptions { Token = new string('f', 64) }))
        {
            try
            {
                await bad.ConnectAsync();
                Emit("unexpectedSuccess", new JObject());
            }
            catch (ReconDaemonException e)
            {
                Emit("badToken", ErrorFields(e));
            }
        }
        using (var nobody = NewClient(new ReconClientOptions { Url = "ws://127.0.0.1:9/", Token = "x" }))
        {
            try
            {
                await nobody.ConnectAsync();
            }
            catch (ReconDaemonException e)
            {
                Emit("nothingListening", ErrorFields(e));
            }
        }
        var emptyHome = Path.Combine(Path.GetTempPath(), "recon-unity-empty-" + Guid.NewGuid().ToString("N"));
        using (var none = NewClient(new ReconClientOptions { GetEnvironmentVariable = n => n == "HOME" ? emptyHome : null }))
        {
            try
            {
                await none.ConnectAsync();
            }
            catch (ReconDaemonException e)
            {
                Emit("notRunning", ErrorFields(e));
            }
        }
        using (var closed = NewClient())
        {
            await closed.ConnectAsync();
            await closed.CloseAsync();
            try
            {
                await closed.PingAsync();
            }
            catch (ReconDaemonException e)
            {
                Emit("afterClose", ErrorFields(e));
            }
        }
    }

    // A transport whose socket the test can kill, as a network drop would.
    private sealed class KillableTransport : ITransport
    {
        public static readonly List<KillableTransport> All = new List<KillableTransport>();
        private readonly WebSocketTransport _inner = new WebSocketTransport();

        public KillableTransport()
        {
            lock (All) All.Add(this);
        }

        public string CloseDescription
        {
            get { return Killed ? "killed by the test" : _inner.CloseDescription; }
        }

        public bool Killed { get; private set; }

        public void Kill()
        {
            Killed = true;
            _inner.Abort();
        }

        public Task ConnectAsync(Uri url, IDictionary<string, string> headers, CancellationToken ct) { return _inner.ConnectAsync(url, headers, ct); }
        public Task SendAsync(string message, CancellationToken ct) { return _inner.SendAsync(message, ct); }
        public Task<string> ReceiveAsync(CancellationToken ct) { return _inner.ReceiveAsync(ct); }
        public Task CloseAsync(CancellationToken ct) { return _inner.CloseAsync(ct); }
        public void Abort() { _inner.Abort(); }
        public void Dispose() { _inner.Dispose(); }
    }

    // Kill the socket right after submitting: the client reconnects with backoff, sees that the job belongs to
    // the dead connection, subscribes to job events and asks jobs.list — and the wait still ends with the result.
    private static async Task Drop(string photo)
    {
        using (var client = NewClient(null, () => new KillableTransport()))
        {
            await client.ConnectAsync();
            var first = client.Server.ClientId;
            var jobId = await client.SubmitAsync(ImageInput.FromPath(photo));
            KillableTransport victim;
            lock (KillableTransport.All) victim = KillableTransport.All.Last();
            victim.Kill();
            Emit("killed", new JObject { { "jobId", jobId } });
            var stages = new List<string>();
            var result = await client.WaitForJobAsync(jobId, p => stages.Add(p.Stage));
            var f = ResultFields(result);
            f["firstClientId"] = first;
            f["secondClientId"] = client.Server.ClientId;
            f["stagesAfterDrop"] = new JArray(stages);
            f["transports"] = KillableTransport.All.Count;
            Emit("completedAfterDrop", f);
            // And a request after the reconnect just works.
            Emit("ping", new JObject { { "time", await client.PingAsync() } });

            // Kill it again with no job running: requests made while reconnecting wait for the new connection.
            lock (KillableTransport.All) victim = KillableTransport.All.Last();
            victim.Kill();
            Emit("ping2", new JObject { { "time", await client.PingAsync() }, { "transports", KillableTransport.All.Count } });
        }
    }

    // The test restarts the daemon (new process, new port) after "ready": the client finds it again through
    // the discovery file and reconnects with backoff.
    private static async Task Restart()
    {
        using (var client = NewClient())
        {
            var shuttingDown = new TaskCompletionSource<bool>();
            client.DaemonShuttingDown += info => { Emit("shuttingDown", new JObject { { "reason", info.Reason } }); shuttingDown.TrySetResult(true); };
            await client.ConnectAsync();
            var firstUrl = client.Endpoint.Url.ToString();
            var firstPid = client.Endpoint.Info != null ? client.Endpoint.Info.Pid : 0;
            Emit("ready", new JObject { { "url", firstUrl }, { "pid", firstPid } });
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(200);
            while (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
                if (client.State == ConnectionState.Connected && client.Endpoint.Url.ToString() != firstUrl) break;
            }
            Emit("reconnected", new JObject
            {
                { "url", client.Endpoint.Url.ToString() }, { "pid", client.Endpoint.Info != null ? client.Endpoint.Info.Pid : 0 },
                { "state", client.State.ToString() }, { "sawShutdown", shuttingDown.Task.IsCompleted },
            });
            Emit("ping", new JObject { { "time", await client.PingAsync() } });
        }
    }

    // No daemon runs in this environment: DaemonLauncher runs the start command, then the client connects.
    private static async Task AutoStart(string command)
    {
        var before = DaemonDiscovery.Discover();
        Emit("before", new JObject { { "running", before != null } });
        var endpoint = await DaemonLauncher.StartAsync(command, TimeSpan.FromSeconds(90), null, null, Log);
        Emit("started", new JObject { { "url", endpoint.Url.ToString() }, { "pid", endpoint.Info.Pid } });
        using (var client = NewClient())
        {
            await client.ConnectAsync();
            var status = await client.GetStatusAsync();
            Emit("status", new JObject { { "pid", status.Pid }, { "url", status.Url }, { "version", status.Version } });
            await client.ShutdownDaemonAsync(2000);
            Emit("shutdownRequested", new JObject());
        }
        try
        {
            await DaemonLauncher.StartAsync("exit 7", TimeSpan.FromSeconds(10));
        }
        catch (ReconDaemonException e)
        {
            Emit("badCommand", ErrorFields(e));
        }
    }

    private static async Task Commands()
    {
        using (var client = NewClient())
        {
            var messages = new List<PluginMessage>();
            client.PluginMessageReceived += m => { lock (messages) messages.Add(m); };
            await client.ConnectAsync();
            PluginCommand[] list;
            try
            {
                list = await client.ListCommandsAsync();
                Emit("commands", new JObject { { "commands", JArray.FromObject(list) } });
            }
            catch (ReconDaemonException e)
            {
                Emit("commandsError", ErrorFields(e));
                return;
            }
            if (list.Any(c => c.Command == "sample.hello"))
            {
                var result = await client.ExecuteCommandAsync("sample.hello", new JArray("Unity"));
                for (int i = 0; i < 50 && messages.Count == 0; i++) await Task.Delay(100);
                lock (messages) Emit("executed", new JObject { { "result", result }, { "messages", JArray.FromObject(messages) } });
            }
            try
            {
                await client.ExecuteCommandAsync("no.such.command");
            }
            catch (ReconDaemonException e)
            {
                Emit("unknownCommand", ErrorFields(e));
            }
        }
    }
}
