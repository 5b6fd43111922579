// Auto-start: run the user's start command (default `recon-daemon start`, which returns once the daemon
// listens) through the platform shell, then wait for the discovery file. Editors started from a desktop often
// have a short PATH, so the command can be an absolute path (e.g. /usr/local/bin/recon-daemon start).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ReconDaemon.Client
{
    public static class DaemonLauncher
    {
        public const string DefaultStartCommand = "recon-daemon start";

        /// <summary>
        /// Start the daemon and return its endpoint once discoverable. Throws DAEMON_START_FAILED with the
        /// command's output when it fails or no daemon appears within <paramref name="timeout"/>.
        /// </summary>
        /// <param name="environment">Extra environment variables for the command (tests pass their XDG dirs).</param>
        public static async Task<DaemonEndpoint> StartAsync(string command, TimeSpan timeout, Func<string, string> getEnv = null,
            IDictionary<string, string> environment = null, IReconLogger log = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            log = log ?? NullLogger.Instance;
            if (string.IsNullOrEmpty(command) || command.Trim().Length == 0) command = DefaultStartCommand;
            bool windows = Environment.OSVersion.Platform == PlatformID.Win32NT;
            var psi = windows
                ? new ProcessStartInfo("cmd.exe", "/d /s /c \"" + command + "\"")
                : new ProcessStartInfo("/bin/sh", "-c " + QuoteArgument(command));
            psi.UseShellExecute = false;
            psi.CreateNoWindow = true;
            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            if (environment != null)
            {
                foreach (var kv in environment) psi.EnvironmentVariables[kv.Key] = kv.Value;
            }
            var output = new StringBuilder();
            var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var deadline = DateTime.UtcNow + timeout;
            log.Log(LogLevel.Info, "Starting recon-daemon: " + command);
            using (var p = new Process { StartInfo = psi, EnableRaisingEvents = true })
            {
                DataReceivedEventHandler collect = (s, e) =>
                {
                    if (e.Data == null) return;
                    lock (output) output.AppendLine(e.Data);
                };
                p.OutputDataReceived += collect;
                p.ErrorDataReceived += collect;
                p.Exited += (s, e) => exited.TrySetResult(0);
                try
                {
                    p.Start();
                }
                catch (Exception e)
                {
                    throw ReconDaemonException.Client(ErrorCodes.DaemonStartFailed, "Could not run \"" + command + "\": " + e.Message,
                        "Install recon-daemon (npm install -g recon-daemon) or set the full path of its start command in the preferences.", e);
                }
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
                var left = deadline - DateTime.UtcNow;
                var done = await Task.WhenAny(exited.Task, Task.Delay(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken)).ConfigureAwait(false);
                if (done != exited.Task)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    try
                    {
                        p.Kill();
                    }
                    catch (Exception)
                    {
                        // already gone
                    }
                    throw ReconDaemonException.Client(ErrorCodes.DaemonStartFailed, "\"" + command + "\" did not finish within " + timeout.TotalSeconds + " s",
                        "Start recon-daemon by hand (`recon-daemon start`) and look at its log (`recon-daemon status`).");
                }
                p.WaitForExit(); // flush the output events
                string text;
                lock (output) text = output.ToString().Trim();
                if (p.ExitCode != 0)
                {
                    throw ReconDaemonException.Client(ErrorCodes.DaemonStartFailed,
                        "\"" + command + "\" failed with exit code " + p.ExitCode + (text.Length > 0 ? ":\n" + Tail(text, 1500) : ""),
                        p.ExitCode == 127 || text.Contains("not found") || text.Contains("not recognized")
                            ? "Install recon-daemon (npm install -g recon-daemon) or set the full path of its start command in the preferences."
                            : "Fix the problem above, or start recon-daemon by hand.");
                }
                if (text.Length > 0) log.Log(LogLevel.Info, text);
            }
            for (;;)
            {
                var endpoint = DaemonDiscovery.Discover(getEnv);
                if (endpoint != null) return endpoint;
                if (DateTime.UtcNow > deadline)
                {
                    throw ReconDaemonException.Client(ErrorCodes.DaemonStartFailed, "\"" + command + "\" finished but no recon-daemon can be found",
                        "Check that the start command starts recon-daemon for this user, with the same HOME/XDG settings as the editor.");
                }
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>One argument for ProcessStartInfo.Arguments (Windows/Mono command-line rules).</summary>
        public static string QuoteArgument(string arg)
        {
            var sb = new StringBuilder("\"");
            int backslashes = 0;
            foreach (char c in arg)
            {
                if (c == '\\')
                {
                    backslashes++;
                    continue;
                }
                if (c == '"')
                {
                    sb.Append('\\', backslashes * 2 + 1);
                    sb.Append('"');
                }
                else
                {
                    sb.Append('\\', backslashes);
                    sb.Append(c);
                }
                backslashes = 0;
            }
            sb.Append('\\', backslashes * 2);
            sb.Append('"');
            return sb.ToString();
        }

        private static string Tail(string s, int max)
        {
            return s.Length <= max ? s : "…" + s.Substring(s.Length - max);
        }
    }
}
