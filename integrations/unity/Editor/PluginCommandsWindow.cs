// Plugin commands: the daemon's plugins contribute commands at run time (commands.list), but Unity builds its
// menus from [MenuItem] attributes at compile time, so a menu item per command would mean generating and
// compiling code (and a domain reload) whenever the list changes. Instead one fixed menu item,
// Tools ▸ Face Reconstruction ▸ Run Plugin Command…, opens this window, which lists the daemon's commands as
// buttons (refreshed when it opens and on demand) and runs the one clicked (commands.execute), with the
// arguments typed above the list as a JSON array (e.g. ["Ana"]); plugin messages (window.showMessage) go to the
// Console.
using System;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using ReconDaemon.Client;
using UnityEditor;
using UnityEngine;

namespace ReconDaemon.Editor
{
    internal sealed class PluginCommandsWindow : EditorWindow
    {
        private PluginCommand[] _commands = new PluginCommand[0];
        private string _message = "";
        private bool _busy;
        private string _args = "";

        [MenuItem(ReconstructFlow.MenuRoot + "Run Plugin Command…", false, 30)]
        private static void Open()
        {
            GetWindow<PluginCommandsWindow>("Face Reconstruction Commands");
        }

        private void OnEnable()
        {
            Refresh();
        }

        private void Refresh()
        {
            if (_busy) return;
            _busy = true;
            _message = "Asking recon-daemon for its commands…";
            var settings = FaceReconSettings.Load();
            var client = FaceReconService.Client;
            Task.Run(async () =>
            {
                await FaceReconService.EnsureConnectedAsync(client, settings).ConfigureAwait(false);
                return await client.ListCommandsAsync().ConfigureAwait(false);
            }).ContinueWith(t => MainThread.Post(() =>
            {
                _busy = false;
                if (t.IsFaulted)
                {
                    var e = FaceReconService.Unwrap(t.Exception) as ReconDaemonException;
                    _commands = new PluginCommand[0];
                    _message = e != null && e.Code == RpcCodes.MethodNotFound
                        ? "This recon-daemon predates plugins (commands.list is unknown to it). Update recon-daemon to use plugin commands."
                        : "Could not list commands: " + (e != null ? e.ToUserText() : FaceReconService.Unwrap(t.Exception).Message);
                }
                else
                {
                    _commands = t.Result;
                    _message = _commands.Length == 0 ? "The daemon's plugins contribute no commands." : "";
                }
                if (this != null) Repaint();
            }), TaskScheduler.Default);
        }

        private void OnGUI()
        {
            GUILayout.BeginHorizontal();
            GUILayout.Label("Commands contributed by recon-daemon plugins");
            GUILayout.FlexibleSpace();
            if (GUILayout.Button("Refresh")) Refresh();
            GUILayout.EndHorizontal();
            if (!string.IsNullOrEmpty(_message)) EditorGUILayout.HelpBox(_message, MessageType.Info);
            _args = EditorGUILayout.TextField("Arguments (JSON array)", _args);
            JArray args = null;
            string argsError = null;
            if (!string.IsNullOrEmpty(_args) && _args.Trim().Length > 0)
            {
                try
                {
                    args = JArray.Parse(_args);
                }
                catch (Exception e)
                {
                    argsError = "Expected a JSON array such as [\"Ana\", 2] but received " + _args + " (" + e.Message + ")";
                }
            }
            if (argsError != null) EditorGUILayout.HelpBox(argsError, MessageType.Warning);
            foreach (var command in _commands)
            {
                if (GUILayout.Button(command.DisplayTitle + "  (" + command.Command + ", " + command.Plugin + ")") && argsError == null) Run(command, args);
            }
        }

        private void Run(PluginCommand command, JArray args)
        {
            var client = FaceReconService.Client;
            client.ExecuteCommandAsync(command.Command, args).ContinueWith(t => MainThread.Post(() =>
            {
                if (t.IsFaulted)
                {
                    FaceReconService.ShowError("Command failed: " + command.DisplayTitle, t.Exception);
                    return;
                }
                var result = t.Result;
                string text = result == null || result.Type == JTokenType.Null
                    ? "Done."
                    : result.ToString(Formatting.Indented);
                Debug.Log("[Face Reconstruction] " + command.Command + " → " + text);
                EditorUtility.DisplayDialog(command.DisplayTitle, text.Length > 2000 ? text.Substring(0, 2000) + "…" : text, "OK");
            }), TaskScheduler.Default);
        }
    }
}
