// Owns the editor's one connection to recon-daemon and its lifecycle:
//  - created lazily from the preferences, recreated when they change;
//  - closed before every assembly reload (a domain reload would otherwise leave a socket behind, and the
//    receive thread would run into the unloading domain), and reconnected after it when it had been
//    connected or a job was waiting (that job is then picked up again; see ReconstructFlow.Resume);
//  - started on demand with the user's start command when auto-start is on.
using System;
using System.Threading;
using System.Threading.Tasks;
using ReconDaemon.Client;
using UnityEditor;
using UnityEngine;

namespace ReconDaemon.Editor
{
    [InitializeOnLoad]
    internal static class FaceReconService
    {
        private const string WasConnectedKey = "ReconDaemon.WasConnected";
        private static readonly object s_lock = new object();
        private static ReconClient s_client;
        private static string s_status = "not connected";

        static FaceReconService()
        {
            MainThread.Install();
            AssemblyReloadEvents.beforeAssemblyReload += OnBeforeAssemblyReload;
            AssemblyReloadEvents.afterAssemblyReload += OnAfterAssemblyReload;
            EditorApplication.quitting += OnQuitting;
            // Should afterAssemblyReload not reach this freshly loaded domain, the first editor update does the same.
            EditorApplication.update += FirstUpdate;
        }

        private static bool s_restored;

        private static void FirstUpdate()
        {
            EditorApplication.update -= FirstUpdate;
            OnAfterAssemblyReload();
        }

        /// <summary>True between beforeAssemblyReload and the domain unload: outcomes are ignored, not shown.</summary>
        public static bool Reloading { get; private set; }

        public static string StatusText
        {
            get { lock (s_lock) return s_status; }
        }

        /// <summary>The client for the current preferences (call on the main thread: it reads EditorPrefs).</summary>
        public static ReconClient Client
        {
            get
            {
                lock (s_lock)
                {
                    if (s_client != null) return s_client;
                }
                var created = Create(FaceReconSettings.Load());
                lock (s_lock)
                {
                    if (s_client == null) s_client = created;
                    else created.Dispose();
                    return s_client;
                }
            }
        }

        private static ReconClient Create(FaceReconSettings settings)
        {
            var client = new ReconClient(settings.ToClientOptions(), new UnityConsoleLogger());
            client.StateChanged += state =>
            {
                string text = state == ConnectionState.Connected && client.Endpoint != null
                    ? "connected to " + client.Endpoint.Url + (client.Server != null ? " (recon-daemon " + client.Server.ServerInfo.Version + ")" : "")
                    : state.ToString().ToLowerInvariant();
                lock (s_lock) s_status = text;
            };
            client.DaemonShuttingDown += info => Debug.Log("[Face Reconstruction] recon-daemon is stopping (" + info.Reason + "); will reconnect when it is back.");
            client.PluginMessageReceived += m =>
            {
                string text = "[" + m.Plugin + "] " + m.Message;
                if (m.Level == "error") Debug.LogError(text);
                else if (m.Level == "warning") Debug.LogWarning(text);
                else Debug.Log(text);
            };
            return client;
        }

        /// <summary>Close the current client; the next use creates one from the (changed) preferences.</summary>
        public static void ResetClient()
        {
            ReconClient old;
            lock (s_lock)
            {
                old = s_client;
                s_client = null;
                s_status = "not connected";
            }
            if (old != null) old.Close(TimeSpan.FromMilliseconds(500));
        }

        public static void Reconnect()
        {
            ResetClient();
            Client.StartConnecting();
        }

        /// <summary>
        /// Connected client, starting the daemon first when none answers and auto-start is on. Runs off the main
        /// thread; <paramref name="settings"/> was read on it.
        /// </summary>
        public static async Task<ReconClient> EnsureConnectedAsync(ReconClient client, FaceReconSettings settings,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            try
            {
                await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
                return client;
            }
            catch (ReconDaemonException e)
            {
                bool notThere = e.DataCode == ErrorCodes.DaemonNotRunning || e.DataCode == ErrorCodes.ConnectionFailed || e.DataCode == ErrorCodes.TokenNotFound;
                if (!notThere || !settings.AutoStart || !string.IsNullOrEmpty(settings.Url)) throw;
            }
            await DaemonLauncher.StartAsync(settings.StartCommand, TimeSpan.FromSeconds(60), null, null, new UnityConsoleLogger(), cancellationToken).ConfigureAwait(false);
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }

        public static void TestConnection()
        {
            var settings = FaceReconSettings.Load();
            var client = Client;
            Task.Run(async () =>
            {
                await EnsureConnectedAsync(client, settings).ConfigureAwait(false);
                return await client.GetStatusAsync().ConfigureAwait(false);
            }).ContinueWith(t => MainThread.Post(() =>
            {
                if (t.IsFaulted)
                {
                    ShowError("Cannot reach recon-daemon", t.Exception);
                    return;
                }
                var st = t.Result;
                EditorUtility.DisplayDialog("Face Reconstruction",
                    "Connected to recon-daemon " + st.Version + " (protocol " + st.ProtocolVersion + ") at " + st.Url +
                    "\nModels loaded: " + (st.ModelsLoaded ? "yes" : "not yet") + "\nOutput folder: " + st.OutputRoot, "OK");
            }), TaskScheduler.Default);
        }

        /// <summary>A failure in a dialog: the daemon's message and its hint.</summary>
        public static void ShowError(string title, Exception error)
        {
            var e = Unwrap(error);
            var rd = e as ReconDaemonException;
            string text = rd != null ? rd.ToUserText() + "\n\n(" + rd.DataCode + ")" : e.Message;
            Debug.LogWarning("[Face Reconstruction] " + title + ": " + (rd != null ? rd.ToString() : e.ToString()));
            EditorUtility.DisplayDialog(title, text, "OK");
        }

        public static Exception Unwrap(Exception e)
        {
            var agg = e as AggregateException;
            while (agg != null && agg.InnerExceptions.Count == 1)
            {
                e = agg.InnerExceptions[0];
                agg = e as AggregateException;
            }
            return e;
        }

        private static void OnBeforeAssemblyReload()
        {
            Reloading = true;
            ReconClient client;
            lock (s_lock)
            {
                client = s_client;
                s_client = null;
            }
            ReconstructFlow.OnBeforeAssemblyReload();
            if (client == null) return;
            var state = client.State;
            SessionState.SetBool(WasConnectedKey, state == ConnectionState.Connected || state == ConnectionState.Reconnecting || state == ConnectionState.Connecting);
            client.Close(TimeSpan.FromMilliseconds(500));
        }

        private static void OnAfterAssemblyReload()
        {
            if (s_restored) return;
            s_restored = true;
            bool wasConnected = SessionState.GetBool(WasConnectedKey, false);
            SessionState.SetBool(WasConnectedKey, false);
            if (ReconstructFlow.Resume()) return; // connects by itself
            if (wasConnected) Client.StartConnecting();
        }

        private static void OnQuitting()
        {
            ReconClient client;
            lock (s_lock)
            {
                client = s_client;
                s_client = null;
            }
            if (client != null) client.Close(TimeSpan.FromMilliseconds(500));
        }
    }
}
