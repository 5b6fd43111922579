// The daemon's protocol as C# declarations: every method and notification name once (mirroring
// src/rpc/protocol.ts, the single source of truth; test/unity.test.ts checks the two lists agree), and the
// params/result shapes this client uses. Fields the daemon adds in minor versions are ignored.
using System.Collections.Generic;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ReconDaemon.Client
{
    public static class Methods
    {
        /// <summary>"MAJOR.MINOR" this client speaks; the daemon refuses a different major at initialize.</summary>
        public const string ProtocolVersion = "1.0";

        public const string Initialize = "initialize";
        public const string Reconstruct = "recon.reconstruct";
        public const string JobCancel = "job.cancel";
        public const string JobsList = "jobs.list";
        public const string ResultRead = "result.read";
        public const string EventsSubscribe = "events.subscribe";
        public const string DaemonStatus = "daemon.status";
        public const string DaemonShutdown = "daemon.shutdown";
        public const string Ping = "ping";

        // Plugin commands (architecture note §9). Daemons older than the plugin host answer METHOD_NOT_FOUND.
        public const string CommandsList = "commands.list";
        public const string CommandsExecute = "commands.execute";
    }

    public static class Notifications
    {
        public const string JobProgress = "job.progress";
        public const string JobCompleted = "job.completed";
        public const string JobFailed = "job.failed";
        public const string DaemonShuttingDown = "daemon.shuttingDown";
        /// <summary>A plugin's window.showMessage, sent to every client.</summary>
        public const string WindowShowMessage = "window.showMessage";
        /// <summary>A watched folder's photo finished (watch.add); this client does not use watches.</summary>
        public const string WatchResult = "watch.result";

        /// <summary>The job notifications events.subscribe accepts.</summary>
        public static readonly string[] JobEvents = { JobProgress, JobCompleted, JobFailed };
    }

    public static class JobStates
    {
        public const string Queued = "queued";
        public const string Running = "running";
        public const string Completed = "completed";
        public const string Failed = "failed";
        public const string Cancelled = "cancelled";

        public static bool IsFinal(string state)
        {
            return state == Completed || state == Failed || state == Cancelled;
        }
    }

    /// <summary>Output kinds (the <c>outputs</c> option and the keys of <see cref="JobResult.Files"/>).</summary>
    public static class OutputKinds
    {
        public const string Crop = "crop";
        public const string Structure = "structure";
        public const string Depth = "depth";
        public const string Normal = "normal";
        public const string Mask = "mask";
        /// <summary>The front view's maps: the head turned to face the camera (docs/outputs.md).</summary>
        public const string FrontStructure = "front-structure";
        public const string FrontDepth = "front-depth";
        public const string FrontNormal = "front-normal";
        public const string FrontMask = "front-mask";
        public const string Obj = "obj";
        public const string Mtl = "mtl";
        public const string Texture = "texture";
        public const string TextureNormal = "textureNormal";
        public const string TextureVisibility = "textureVisibility";
        public const string Glb = "glb";
        public const string Overlay = "overlay";
        /// <summary>turntable.webp, written only when asked for.</summary>
        public const string Turntable = "turntable";
        public const string Result = "result";
    }

    /// <summary>The two views of a face: the values of the <c>view</c> option and of result.json's <c>frames</c>.</summary>
    public static class Views
    {
        /// <summary>The head turned to face the camera (head frame): the front-* maps and, by default, the mesh.</summary>
        public const string Front = "front";
        /// <summary>As the photo saw it: crop.png and the maps pixel-aligned with it.</summary>
        public const string Camera = "camera";
    }

    // ------------------------------------------------------------------------------------------------------
    // initialize

    public sealed class ClientInfo
    {
        [JsonProperty("name")] public string Name;
        [JsonProperty("version")] public string Version;
    }

    public sealed class ServerInfo
    {
        [JsonProperty("name")] public string Name;
        [JsonProperty("version")] public string Version;
    }

    public sealed class ServerLimits
    {
        [JsonProperty("maxPayload")] public long MaxPayload;
        [JsonProperty("maxPixels")] public long MaxPixels;
        [JsonProperty("maxQueue")] public int MaxQueue;
        [JsonProperty("maxReadBytes")] public long MaxReadBytes;
    }

    public sealed class ServerCapabilities
    {
        [JsonProperty("methods")] public string[] Methods = new string[0];
        [JsonProperty("notifications")] public string[] Notifications = new string[0];
        [JsonProperty("imageInput")] public string[] ImageInput = new string[0];
        [JsonProperty("limits")] public ServerLimits Limits = new ServerLimits();
        [JsonProperty("workers")] public int Workers;
    }

    public sealed class InitializeResult
    {
        [JsonProperty("serverInfo")] public ServerInfo ServerInfo = new ServerInfo();
        [JsonProperty("protocolVersion")] public string ProtocolVersion;
        [JsonProperty("clientId")] public string ClientId;
        [JsonProperty("capabilities")] public ServerCapabilities Capabilities = new ServerCapabilities();

        public bool HasMethod(string method)
        {
            return Capabilities != null && Capabilities.Methods != null && System.Array.IndexOf(Capabilities.Methods, method) >= 0;
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // recon.reconstruct

    /// <summary>The photo: an absolute path the daemon reads (same machine) or the file's bytes.</summary>
    public sealed class ImageInput
    {
        [JsonProperty("path", NullValueHandling = NullValueHandling.Ignore)] public string Path;
        [JsonProperty("data", NullValueHandling = NullValueHandling.Ignore)] public string Data;

        public static ImageInput FromPath(string absolutePath)
        {
            return new ImageInput { Path = absolutePath };
        }

        public static ImageInput FromBytes(byte[] bytes)
        {
            return new ImageInput { Data = System.Convert.ToBase64String(bytes) };
        }
    }

    public sealed class ReconstructOptions
    {
        /// <summary>"largest" (default), "all", or a face index (0 = largest), as a JToken.</summary>
        [JsonProperty("faces", NullValueHandling = NullValueHandling.Ignore)] public JToken Faces;
        [JsonProperty("maxPixels", NullValueHandling = NullValueHandling.Ignore)] public long? MaxPixels;
        /// <summary>Output kinds to write (default: all), e.g. { "structure", "obj" }.</summary>
        [JsonProperty("outputs", NullValueHandling = NullValueHandling.Ignore)] public string[] Outputs;
        /// <summary>Canonical frame size, 128–1024 (default 256).</summary>
        [JsonProperty("size", NullValueHandling = NullValueHandling.Ignore)] public int? Size;
        /// <summary>Structure-map detail layer, 0–1 (default 0.5).</summary>
        [JsonProperty("detail", NullValueHandling = NullValueHandling.Ignore)] public double? Detail;
        /// <summary>Frame of face.obj/face.glb: <see cref="Views.Front"/> (default) or <see cref="Views.Camera"/>.</summary>
        [JsonProperty("view", NullValueHandling = NullValueHandling.Ignore)] public string View;
        /// <summary>Loop subdivision levels of the exported mesh, 0–3 (default 1).</summary>
        [JsonProperty("subdivisions", NullValueHandling = NullValueHandling.Ignore)] public int? Subdivisions;
        /// <summary>Write maps and mesh even when the quality verdict is "fail".</summary>
        [JsonProperty("force", NullValueHandling = NullValueHandling.Ignore)] public bool? Force;
    }

    public sealed class ReconstructParams
    {
        [JsonProperty("image")] public ImageInput Image;
        [JsonProperty("options", NullValueHandling = NullValueHandling.Ignore)] public ReconstructOptions Options;
    }

    // ------------------------------------------------------------------------------------------------------
    // Notifications

    public sealed class JobProgress
    {
        [JsonProperty("jobId")] public string JobId;
        [JsonProperty("stage")] public string Stage;
        [JsonProperty("fraction")] public double Fraction;

        public override string ToString()
        {
            return JobId + " " + Stage + " " + Fraction.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public sealed class Pose
    {
        [JsonProperty("yaw")] public double Yaw;
        [JsonProperty("pitch")] public double Pitch;
        [JsonProperty("roll")] public double Roll;
    }

    /// <summary>A finished job (job.completed's result, plus its id).</summary>
    public sealed class JobResult
    {
        [JsonProperty("jobId")] public string JobId;
        /// <summary>The job's folder, absolute, on the daemon's machine.</summary>
        [JsonProperty("dir")] public string Dir;
        /// <summary>Output kind → absolute path on the daemon's machine (e.g. "structure" → …/structure.png).</summary>
        [JsonProperty("files")] public Dictionary<string, string> Files = new Dictionary<string, string>();
        [JsonProperty("verdict")] public string Verdict;
        [JsonProperty("pose")] public Pose Pose;
        [JsonProperty("timings")] public Dictionary<string, double> Timings = new Dictionary<string, double>();
        [JsonProperty("faces")] public int Faces;
        [JsonProperty("reconstructed")] public int[] Reconstructed = new int[0];

        /// <summary>The file name of an output kind inside <see cref="Dir"/> (e.g. "structure.png"), or null.</summary>
        public string FileName(string kind)
        {
            string p;
            if (Files == null || !Files.TryGetValue(kind, out p) || string.IsNullOrEmpty(p)) return null;
            int cut = System.Math.Max(p.LastIndexOf('/'), p.LastIndexOf('\\'));
            return cut >= 0 ? p.Substring(cut + 1) : p;
        }

        /// <summary>
        /// A result rebuilt from a job folder's result.json (for a job that finished while this client was not
        /// connected): outputs → files, quality.verdict, faces, reconstructed, timings and the first face's pose.
        /// </summary>
        public static JobResult FromResultJson(string jobId, string dir, JObject resultJson)
        {
            var r = new JobResult { JobId = jobId, Dir = dir };
            char sep = dir != null && dir.IndexOf('\\') >= 0 && dir.IndexOf('/') < 0 ? '\\' : '/';
            var outputs = resultJson["outputs"] as JObject;
            if (outputs != null)
            {
                foreach (var kv in outputs)
                {
                    var name = (string)kv.Value;
                    if (!string.IsNullOrEmpty(name)) r.Files[kv.Key] = (dir ?? "").TrimEnd('/', '\\') + sep + name;
                }
            }
            var quality = resultJson["quality"] as JObject;
            if (quality != null) r.Verdict = (string)quality["verdict"];
            var faces = resultJson["faces"] as JArray;
            r.Faces = faces == null ? 0 : faces.Count;
            var rec = resultJson["reconstructed"] as JArray;
            if (rec != null) r.Reconstructed = rec.ToObject<int[]>();
            var timings = resultJson["timings"] as JObject;
            if (timings != null) r.Timings = timings.ToObject<Dictionary<string, double>>();
            if (faces != null && r.Reconstructed.Length > 0 && r.Reconstructed[0] < faces.Count)
            {
                var pose = faces[r.Reconstructed[0]]["pose"] as JObject;
                if (pose != null) r.Pose = pose.ToObject<Pose>();
            }
            return r;
        }
    }

    public sealed class JobCompletedParams
    {
        [JsonProperty("jobId")] public string JobId;
        [JsonProperty("result")] public JobResult Result;
    }

    public sealed class JobFailedParams
    {
        [JsonProperty("jobId")] public string JobId;
        [JsonProperty("dir")] public string Dir;
        [JsonProperty("error")] public JObject Error;
    }

    /// <summary>A failed job: its id, its folder when one was written, and the error as an exception.</summary>
    public sealed class JobFailure
    {
        public string JobId;
        public string Dir;
        public ReconDaemonException Error;
    }

    public sealed class ShuttingDownInfo
    {
        [JsonProperty("reason")] public string Reason;
        [JsonProperty("graceMs")] public double GraceMs;
    }

    // ------------------------------------------------------------------------------------------------------
    // job.cancel, jobs.list, result.read, events.subscribe, plugin commands

    public sealed class JobCancelResult
    {
        [JsonProperty("jobId")] public string JobId;
        [JsonProperty("cancelled")] public bool Cancelled;
        [JsonProperty("state")] public string State;
    }

    public sealed class JobInfo
    {
        [JsonProperty("jobId")] public string JobId;
        [JsonProperty("state")] public string State;
        [JsonProperty("clientId")] public string ClientId;
        [JsonProperty("source")] public string Source;
        [JsonProperty("dir")] public string Dir;
        [JsonProperty("createdAt")] public string CreatedAt;
        [JsonProperty("startedAt")] public string StartedAt;
        [JsonProperty("finishedAt")] public string FinishedAt;
        [JsonProperty("stage")] public string Stage;
        [JsonProperty("fraction")] public double? Fraction;
        [JsonProperty("error")] public JObject Error;
    }

    public sealed class JobsListResult
    {
        [JsonProperty("jobs")] public JobInfo[] Jobs = new JobInfo[0];
    }

    public sealed class ResultReadResult
    {
        [JsonProperty("jobId")] public string JobId;
        [JsonProperty("path")] public string Path;
        [JsonProperty("size")] public long Size;
        [JsonProperty("data")] public string Data;
    }

    /// <summary>A command contributed by a daemon plugin (commands.list).</summary>
    public sealed class PluginCommand
    {
        [JsonProperty("command")] public string Command;
        [JsonProperty("title")] public string Title;
        /// <summary>The plugin that contributes it.</summary>
        [JsonProperty("plugin")] public string Plugin;
        /// <summary>"inactive" (starts on first use), "active" or "failed".</summary>
        [JsonProperty("pluginState")] public string PluginState;
        /// <summary>Registered by the running plugin (false: contributed, its plugin not active yet).</summary>
        [JsonProperty("registered")] public bool Registered;

        [JsonIgnore]
        public string DisplayTitle
        {
            get { return string.IsNullOrEmpty(Title) ? Command : Title; }
        }
    }

    /// <summary>window.showMessage from a plugin.</summary>
    public sealed class PluginMessage
    {
        [JsonProperty("plugin")] public string Plugin;
        /// <summary>"info", "warning" or "error".</summary>
        [JsonProperty("level")] public string Level;
        [JsonProperty("message")] public string Message;
    }

    public sealed class CommandsListResult
    {
        [JsonProperty("commands")] public PluginCommand[] Commands = new PluginCommand[0];
    }

    public sealed class DaemonStatus
    {
        [JsonProperty("version")] public string Version;
        [JsonProperty("protocolVersion")] public string ProtocolVersion;
        [JsonProperty("pid")] public int Pid;
        [JsonProperty("url")] public string Url;
        [JsonProperty("uptimeMs")] public double UptimeMs;
        [JsonProperty("outputRoot")] public string OutputRoot;
        [JsonProperty("modelsLoaded")] public bool ModelsLoaded;
        [JsonProperty("clients")] public int Clients;
        [JsonProperty("shuttingDown")] public bool ShuttingDown;
    }
}
