// Finding the running daemon without configuration, exactly as docs/daemon.md describes and
// src/server/paths.ts computes it: the discovery file daemon.json (runtime dir) gives the address and the token
// file's path; the token file (config dir) gives the token. Every location follows the XDG variables, then HOME.
using System;
using System.Diagnostics;
using System.IO;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ReconDaemon.Client
{
    /// <summary>The content of daemon.json.</summary>
    public sealed class DiscoveryInfo
    {
        [JsonProperty("url")] public string Url;
        [JsonProperty("host")] public string Host;
        [JsonProperty("port")] public int Port;
        [JsonProperty("pid")] public int Pid;
        [JsonProperty("version")] public string Version;
        [JsonProperty("protocolVersion")] public string ProtocolVersion;
        [JsonProperty("tokenFile")] public string TokenFile;
        [JsonProperty("logFile")] public string LogFile;
        [JsonProperty("outputRoot")] public string OutputRoot;
        [JsonProperty("startedAt")] public string StartedAt;
    }

    /// <summary>Where to connect and with which token.</summary>
    public sealed class DaemonEndpoint
    {
        public DaemonEndpoint(Uri url, string token, DiscoveryInfo info = null)
        {
            Url = url;
            Token = token;
            Info = info;
        }

        public Uri Url { get; private set; }
        public string Token { get; private set; }
        /// <summary>The discovery file's content when the endpoint came from it.</summary>
        public DiscoveryInfo Info { get; private set; }

        /// <summary>True when the daemon is on this machine (127.0.0.0/8, ::1, localhost): photos can go by path.</summary>
        public bool IsLoopback
        {
            get
            {
                var h = Url.Host.Trim('[', ']');
                return h == "localhost" || h == "::1" || h.StartsWith("127.", StringComparison.Ordinal);
            }
        }
    }

    /// <summary>The daemon's file locations, computed like src/server/paths.ts.</summary>
    public sealed class DaemonPaths
    {
        public string ConfigDir;
        public string RuntimeDir;
        public string TokenFile;
        public string DiscoveryFile;
        public string PidFile;

        /// <param name="getEnv">Environment lookup (default: the process environment); tests pass their own.</param>
        public static DaemonPaths Compute(Func<string, string> getEnv = null)
        {
            getEnv = getEnv ?? Environment.GetEnvironmentVariable;
            string home = getEnv("HOME");
            if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            string configBase = Xdg(getEnv, "XDG_CONFIG_HOME", Path.Combine(home, ".config"));
            string configDir = Path.Combine(configBase, "recon-daemon");
            string runtimeBase = Xdg(getEnv, "XDG_RUNTIME_DIR", "");
            string runtimeDir = runtimeBase.Length > 0 ? Path.Combine(runtimeBase, "recon-daemon") : configDir;
            return new DaemonPaths
            {
                ConfigDir = configDir,
                RuntimeDir = runtimeDir,
                TokenFile = Path.Combine(configDir, "token"),
                DiscoveryFile = Path.Combine(runtimeDir, "daemon.json"),
                PidFile = Path.Combine(runtimeDir, "daemon.pid"),
            };
        }

        // XDG variables count only when absolute (the spec says relative ones are ignored).
        private static string Xdg(Func<string, string> getEnv, string name, string fallback)
        {
            var v = getEnv(name);
            return !string.IsNullOrEmpty(v) && Path.IsPathRooted(v) ? v : fallback;
        }
    }

    public static class DaemonDiscovery
    {
        public const string DefaultUrl = "ws://127.0.0.1:47613/";

        /// <summary>The discovery file's content, or null when it is missing or unreadable.</summary>
        public static DiscoveryInfo ReadDiscovery(string discoveryFile)
        {
            try
            {
                if (!File.Exists(discoveryFile)) return null;
                var info = JObject.Parse(File.ReadAllText(discoveryFile)).ToObject<DiscoveryInfo>();
                return info != null && !string.IsNullOrEmpty(info.Url) ? info : null;
            }
            catch (Exception)
            {
                return null; // being rewritten, or not ours
            }
        }

        /// <summary>The token (trimmed), or null when the file does not exist or is empty.</summary>
        public static string ReadToken(string tokenFile)
        {
            try
            {
                if (string.IsNullOrEmpty(tokenFile) || !File.Exists(tokenFile)) return null;
                var t = File.ReadAllText(tokenFile).Trim();
                return t.Length > 0 ? t : null;
            }
            catch (Exception)
            {
                return null;
            }
        }

        /// <summary>
        /// True when a process with that id runs (a discovery file left by a crashed daemon is stale). Where the
        /// platform cannot tell, the pid is trusted.
        /// </summary>
        public static bool IsProcessAlive(int pid)
        {
            if (pid <= 0) return false;
            try
            {
                using (var p = Process.GetProcessById(pid))
                {
                    return !p.HasExited;
                }
            }
            catch (ArgumentException)
            {
                return false; // no such process
            }
            catch (Exception)
            {
                return true; // cannot tell here (sandbox, platform): trust the file
            }
        }

        /// <summary>The running daemon found through its discovery file, or null when none runs.</summary>
        public static DaemonEndpoint Discover(Func<string, string> getEnv = null)
        {
            var paths = DaemonPaths.Compute(getEnv);
            var info = ReadDiscovery(paths.DiscoveryFile);
            if (info == null || !IsProcessAlive(info.Pid)) return null;
            Uri url;
            if (!Uri.TryCreate(info.Url, UriKind.Absolute, out url)) return null;
            var token = ReadToken(string.IsNullOrEmpty(info.TokenFile) ? paths.TokenFile : info.TokenFile);
            return new DaemonEndpoint(url, token, info);
        }

        /// <summary>
        /// The endpoint for a connection: explicit settings win (a URL and/or a token), the discovery file fills in
        /// the rest, then the default address and the default token file. Throws DAEMON_NOT_RUNNING when no URL is
        /// set and no daemon is found, TOKEN_NOT_FOUND when no token can be had.
        /// </summary>
        public static DaemonEndpoint Resolve(string url, string token, Func<string, string> getEnv = null)
        {
            var paths = DaemonPaths.Compute(getEnv);
            DaemonEndpoint found = Discover(getEnv);
            Uri uri;
            if (!string.IsNullOrEmpty(url))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out uri) || (uri.Scheme != "ws" && uri.Scheme != "wss"))
                {
                    throw ReconDaemonException.Client(ErrorCodes.ConnectionFailed,
                        "Expected a ws:// or wss:// URL for the daemon address but received \"" + url + "\"",
                        "Fix the URL in the preferences, or leave it empty to find the local daemon automatically.");
                }
            }
            else if (found != null)
            {
                uri = found.Url;
            }
            else
            {
                throw ReconDaemonException.Client(ErrorCodes.DaemonNotRunning,
                    "recon-daemon is not running (no discovery file at " + paths.DiscoveryFile + ")",
                    "Start it with `recon-daemon start` in a terminal, or turn on auto-start in the preferences.");
            }
            string tok = !string.IsNullOrEmpty(token) ? token.Trim() : null;
            if (tok == null && found != null) tok = found.Token;
            if (tok == null) tok = ReadToken(paths.TokenFile);
            if (tok == null)
            {
                throw ReconDaemonException.Client(ErrorCodes.TokenNotFound,
                    "No token for recon-daemon: " + paths.TokenFile + " does not exist",
                    "Start the daemon once (`recon-daemon start` creates the token), or paste the token into the preferences.");
            }
            return new DaemonEndpoint(uri, tok, found == null ? null : found.Info);
        }
    }
}
