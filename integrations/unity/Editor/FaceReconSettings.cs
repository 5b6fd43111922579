// Preferences ▸ Face Reconstruction: where the daemon is, its token, and whether to start it when needed.
// Stored per user in EditorPrefs (they are machine settings, not project settings).
using System.Collections.Generic;
using ReconDaemon.Client;
using UnityEditor;
using UnityEngine;

namespace ReconDaemon.Editor
{
    /// <summary>A snapshot of the preferences (EditorPrefs are read on the main thread, then passed along).</summary>
    internal sealed class FaceReconSettings
    {
        public const string SettingsPath = "Preferences/Face Reconstruction";
        private const string Prefix = "ReconDaemon.";

        /// <summary>ws://host:port/; empty = find the local daemon through its discovery file.</summary>
        public string Url = "";
        /// <summary>Empty = read the daemon's token file.</summary>
        public string Token = "";
        /// <summary>Run <see cref="StartCommand"/> when no daemon answers.</summary>
        public bool AutoStart = true;
        public string StartCommand = DaemonLauncher.DefaultStartCommand;
        /// <summary>Ask for maps and mesh even when the quality verdict is "fail".</summary>
        public bool Force;
        /// <summary>
        /// Import the mesh as the photo saw it, under structure.png (the camera view), instead of the default front
        /// view: the head turned to face the camera, under front-structure.png.
        /// </summary>
        public bool CameraView;

        /// <summary>The <c>view</c> option for these settings.</summary>
        public string View { get { return CameraView ? Views.Camera : Views.Front; } }

        public static FaceReconSettings Load()
        {
            return new FaceReconSettings
            {
                Url = EditorPrefs.GetString(Prefix + "Url", ""),
                Token = EditorPrefs.GetString(Prefix + "Token", ""),
                AutoStart = EditorPrefs.GetBool(Prefix + "AutoStart", true),
                StartCommand = EditorPrefs.GetString(Prefix + "StartCommand", DaemonLauncher.DefaultStartCommand),
                Force = EditorPrefs.GetBool(Prefix + "Force", false),
                CameraView = EditorPrefs.GetBool(Prefix + "CameraView", false),
            };
        }

        public void Save()
        {
            EditorPrefs.SetString(Prefix + "Url", (Url ?? "").Trim());
            EditorPrefs.SetString(Prefix + "Token", (Token ?? "").Trim());
            EditorPrefs.SetBool(Prefix + "AutoStart", AutoStart);
            EditorPrefs.SetString(Prefix + "StartCommand", (StartCommand ?? "").Trim());
            EditorPrefs.SetBool(Prefix + "Force", Force);
            EditorPrefs.SetBool(Prefix + "CameraView", CameraView);
        }

        public ReconClientOptions ToClientOptions()
        {
            return new ReconClientOptions
            {
                Url = Url,
                Token = Token,
                ClientInfo = new ClientInfo { Name = "unity-editor", Version = ReconClient.Version },
            };
        }

        [SettingsProvider]
        private static SettingsProvider CreateProvider()
        {
            var provider = new SettingsProvider(SettingsPath, SettingsScope.User,
                new HashSet<string>(new[] { "recon", "daemon", "face", "reconstruction", "token", "url", "auto-start" }));
            provider.guiHandler = OnGUI;
            return provider;
        }

        private static void OnGUI(string searchContext)
        {
            var s = Load();
            EditorGUI.BeginChangeCheck();
            s.Url = EditorGUILayout.TextField("Daemon URL", s.Url);
            EditorGUILayout.HelpBox("Leave empty to find the local recon-daemon through its discovery file (recommended). " +
                                    "Set ws://host:port/ for a daemon elsewhere; photos are then sent as bytes.", MessageType.None);
            s.Token = EditorGUILayout.PasswordField("Token", s.Token);
            EditorGUILayout.HelpBox("Leave empty to read the daemon's token file (~/.config/recon-daemon/token). " +
                                    "A token typed here is stored in EditorPrefs, unencrypted.", MessageType.None);
            s.AutoStart = EditorGUILayout.Toggle("Start daemon when needed", s.AutoStart);
            s.StartCommand = EditorGUILayout.TextField("Start command", s.StartCommand);
            s.Force = EditorGUILayout.Toggle("Import failed-quality photos", s.Force);
            s.CameraView = EditorGUILayout.Toggle("Camera view (as the photo saw it)", s.CameraView);
            EditorGUILayout.HelpBox("Off (default): the head turned to face the front, on front-structure.png. " +
                                    "On: the mesh as the photo saw it, on structure.png (pixel-aligned with crop.png).", MessageType.None);
            if (EditorGUI.EndChangeCheck())
            {
                s.Save();
                FaceReconService.ResetClient();
            }
            EditorGUILayout.Space();
            EditorGUILayout.LabelField("Status: " + FaceReconService.StatusText);
            GUILayout.BeginHorizontal();
            if (GUILayout.Button("Test Connection")) FaceReconService.TestConnection();
            if (GUILayout.Button("Reconnect")) FaceReconService.Reconnect();
            GUILayout.EndHorizontal();
        }
    }
}
