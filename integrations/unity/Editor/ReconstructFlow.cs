// Tools ▸ Face Reconstruction ▸ Reconstruct from Photo…: pick a photo, watch a progress bar with Cancel while
// the daemon works (the editor stays responsive: nothing here blocks the main thread), then copy the outputs
// into Assets/FaceRecon/<name>/ and build the scene objects (FaceReconSceneBuilder). Errors end in a dialog
// with the daemon's message and hint.
//
// The running job survives an assembly reload: its id is kept in SessionState, and after the reload the
// editor reconnects and waits for that job again (the client looks it up with jobs.list if it ended meanwhile).
using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using ReconDaemon.Client;
using UnityEditor;
using UnityEngine;

namespace ReconDaemon.Editor
{
    internal static class ReconstructFlow
    {
        public const string MenuRoot = "Tools/Face Reconstruction/";
        private const string PendingKey = "ReconDaemon.PendingJob";
        private const string LastFolderKey = "ReconDaemon.LastPhotoFolder";
        private const string ProgressTitle = "Face Reconstruction";
        /// <summary>What the file panel offers (the daemon reads the format from the bytes; see docs/input-formats.md).</summary>
        private const string PhotoExtensions = "jpg,jpeg,png,webp,tif,tiff,gif,avif";

        /// <summary>The one job the menu runs at a time; touched on the main thread only.</summary>
        private sealed class ActiveJob
        {
            public string Name;
            public string Photo;
            public string JobId;
            public string Stage = "connecting";
            public double Fraction;
            public bool CancelRequested;
            public string AssetFolder; // "Assets/FaceRecon/<name>"
            public string DiskFolder; // its absolute path
            public readonly CancellationTokenSource Cancel = new CancellationTokenSource();
        }

        private static ActiveJob s_active;

        [MenuItem(MenuRoot + "Reconstruct from Photo…", false, 10)]
        private static void ReconstructFromPhoto()
        {
            if (s_active != null) return;
            string folder = EditorPrefs.GetString(LastFolderKey, "");
            string photo = EditorUtility.OpenFilePanel("Reconstruct a face from a photo", folder, PhotoExtensions);
            if (string.IsNullOrEmpty(photo)) return;
            EditorPrefs.SetString(LastFolderKey, Path.GetDirectoryName(photo));
            Start(photo);
        }

        [MenuItem(MenuRoot + "Reconstruct from Photo…", true)]
        private static bool CanReconstructFromPhoto()
        {
            return s_active == null;
        }

        [MenuItem(MenuRoot + "Preferences…", false, 50)]
        private static void OpenPreferences()
        {
            SettingsService.OpenUserPreferences(FaceReconSettings.SettingsPath);
        }

        /// <summary>Reconstruct <paramref name="photo"/> (an absolute path) and import the result.</summary>
        public static void Start(string photo)
        {
            var job = NewJob(JobOutputs.SafeBaseName(photo), photo);
            var settings = FaceReconSettings.Load();
            var client = FaceReconService.Client;
            Forget(RunAsync(job, client, settings));
        }

        private static ActiveJob NewJob(string name, string photo)
        {
            var job = new ActiveJob
            {
                Name = name,
                Photo = photo,
                AssetFolder = FaceReconSceneBuilder.RootFolder + "/" + name,
            };
            // Application.dataPath is ".../Project/Assets"; read it here, on the main thread.
            job.DiskFolder = Path.Combine(Path.GetDirectoryName(Application.dataPath), job.AssetFolder);
            s_active = job;
            EditorApplication.update -= UpdateProgressBar;
            EditorApplication.update += UpdateProgressBar;
            return job;
        }

        private static async Task RunAsync(ActiveJob job, ReconClient client, FaceReconSettings settings)
        {
            try
            {
                await FaceReconService.EnsureConnectedAsync(client, settings, job.Cancel.Token).ConfigureAwait(false);
                job.Cancel.Token.ThrowIfCancellationRequested();
                // Same machine: the daemon reads the photo itself. Elsewhere: send the bytes.
                var image = client.Endpoint != null && client.Endpoint.IsLoopback
                    ? ImageInput.FromPath(Path.GetFullPath(job.Photo))
                    : ImageInput.FromBytes(File.ReadAllBytes(job.Photo));
                var options = new ReconstructOptions { View = settings.View, Force = settings.Force ? (bool?)true : null };
                var result = await client.ReconstructAsync(image, options,
                    p => MainThread.Post(() => OnProgress(job, p)),
                    job.Cancel.Token,
                    id => MainThread.Post(() => OnJobId(job, id))).ConfigureAwait(false);
                await FetchAndImportAsync(job, client, result).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                MainThread.Post(() => Finish(job, e));
            }
        }

        private static void OnJobId(ActiveJob job, string jobId)
        {
            job.JobId = jobId;
            if (s_active != job) return;
            SessionState.SetString(PendingKey, new JObject { { "jobId", jobId }, { "name", job.Name }, { "photo", job.Photo } }.ToString());
        }

        private static void OnProgress(ActiveJob job, JobProgress p)
        {
            job.Stage = p.Stage;
            job.Fraction = Math.Max(job.Fraction, p.Fraction);
        }

        private static readonly System.Diagnostics.Stopwatch s_barClock = System.Diagnostics.Stopwatch.StartNew();

        // Called from EditorApplication.update while a job runs: the bar is redrawn and its Cancel button read,
        // at most every 50 ms.
        private static void UpdateProgressBar()
        {
            var job = s_active;
            if (job == null)
            {
                EditorApplication.update -= UpdateProgressBar;
                return;
            }
            if (s_barClock.ElapsedMilliseconds < 50) return;
            s_barClock.Reset();
            s_barClock.Start();
            string info = job.CancelRequested
                ? job.Name + ": cancelling…"
                : job.Name + ": " + job.Stage + " (" + Mathf.RoundToInt((float)job.Fraction * 100) + " %)";
            if (EditorUtility.DisplayCancelableProgressBar(ProgressTitle, info, (float)job.Fraction) && !job.CancelRequested)
            {
                job.CancelRequested = true;
                job.Cancel.Cancel();
            }
        }

        private static async Task FetchAndImportAsync(ActiveJob job, ReconClient client, JobResult result)
        {
            MainThread.Post(() =>
            {
                job.Stage = "copying outputs";
                job.Fraction = 1;
            });
            // A photo that failed the quality checks gets no structure map and no mesh: say why, and leave an
            // earlier import of the same photo as it is.
            bool importable = result.Files.ContainsKey(OutputKinds.Structure) || result.Files.ContainsKey(OutputKinds.Obj) ||
                              (FaceReconSceneBuilder.GlbSupported && result.Files.ContainsKey(OutputKinds.Glb));
            if (!importable)
            {
                var json = await ReadResultJsonAsync(client, result).ConfigureAwait(false);
                MainThread.Post(() =>
                {
                    Finish(job, null);
                    ShowNothingToImport(job, result, json);
                });
                return;
            }
            // glTFast imports .glb; without it Unity would only show an unknown file, so it is not copied.
            var written = await JobOutputs.CopyToAsync(client, result, job.DiskFolder,
                kind => kind != OutputKinds.Glb || FaceReconSceneBuilder.GlbSupported).ConfigureAwait(false);
            var stale = JobOutputs.StaleOutputs(job.DiskFolder, written.Values, JobOutputs.KnownFileNames);
            JObject resultJson = null;
            string resultPath;
            if (written.TryGetValue(OutputKinds.Result, out resultPath)) resultJson = JObject.Parse(File.ReadAllText(resultPath));
            MainThread.Post(() =>
            {
                if (s_active != job) return;
                try
                {
                    foreach (var file in stale) AssetDatabase.DeleteAsset(job.AssetFolder + "/" + Path.GetFileName(file));
                    var root = FaceReconSceneBuilder.Build(job.Name, job.AssetFolder, written.Values.Select(Path.GetFileName).ToArray(), resultJson);
                    Finish(job, null);
                    if (root == null) ShowNothingToImport(job, result, resultJson);
                }
                catch (Exception e)
                {
                    Finish(job, e);
                }
            });
        }

        private static async Task<JObject> ReadResultJsonAsync(ReconClient client, JobResult result)
        {
            try
            {
                string local;
                if (result.Files.TryGetValue(OutputKinds.Result, out local) && File.Exists(local)) return JObject.Parse(File.ReadAllText(local));
                var bytes = await client.ReadResultAsync(result.JobId, "result.json").ConfigureAwait(false);
                return JObject.Parse(System.Text.Encoding.UTF8.GetString(bytes));
            }
            catch (Exception)
            {
                return null;
            }
        }

        private static void Finish(ActiveJob job, Exception error)
        {
            // During an assembly reload the outcome is the reload's doing (the socket was closed on purpose):
            // leave the pending job in SessionState for Resume.
            if (FaceReconService.Reloading) return;
            if (s_active == job)
            {
                s_active = null;
                EditorApplication.update -= UpdateProgressBar;
                EditorUtility.ClearProgressBar();
                SessionState.EraseString(PendingKey);
            }
            if (error == null) return;
            var e = FaceReconService.Unwrap(error);
            var rd = e as ReconDaemonException;
            if ((rd != null && rd.IsCancellation) || e is OperationCanceledException)
            {
                Debug.Log("[Face Reconstruction] Cancelled " + job.Name + (job.JobId != null ? " (job " + job.JobId + ")" : "") + ".");
                return;
            }
            FaceReconService.ShowError("Face Reconstruction failed: " + job.Name, e);
        }

        // The job finished but wrote neither a structure map nor a mesh: the quality verdict was "fail".
        private static void ShowNothingToImport(ActiveJob job, JobResult result, JObject resultJson)
        {
            string reasons = "";
            var checks = resultJson == null ? null : resultJson.SelectToken("quality.checks") as JArray;
            if (checks != null)
            {
                foreach (var c in checks.OfType<JObject>().Where(c => (string)c["severity"] == "fail"))
                {
                    reasons += "\n• " + (string)c["message"] + ((string)c["hint"] != null ? " " + (string)c["hint"] : "");
                }
            }
            EditorUtility.DisplayDialog("Face Reconstruction: " + job.Name,
                "The photo failed the quality checks (verdict: " + (result.Verdict ?? "fail") + "), so the daemon wrote no structure map or mesh." + reasons +
                "\n\nTurn on \"Import failed-quality photos\" in Preferences ▸ Face Reconstruction to import them anyway.", "OK");
        }

        // ---------------------------------------------------------------------------------------------------
        // Assembly reloads

        public static void OnBeforeAssemblyReload()
        {
            if (s_active == null) return;
            EditorApplication.update -= UpdateProgressBar;
            EditorUtility.ClearProgressBar();
            // The pending job's id stays in SessionState for Resume.
        }

        /// <summary>After a reload: wait again for the job that was running. True when there was one.</summary>
        public static bool Resume()
        {
            string saved = SessionState.GetString(PendingKey, "");
            if (string.IsNullOrEmpty(saved)) return false;
            JObject o;
            try
            {
                o = JObject.Parse(saved);
            }
            catch (Exception)
            {
                SessionState.EraseString(PendingKey);
                return false;
            }
            var job = NewJob((string)o["name"], (string)o["photo"]);
            job.JobId = (string)o["jobId"];
            job.Stage = "reconnecting";
            var settings = FaceReconSettings.Load();
            var client = FaceReconService.Client;
            Forget(ResumeAsync(job, client, settings));
            return true;
        }

        private static async Task ResumeAsync(ActiveJob job, ReconClient client, FaceReconSettings settings)
        {
            try
            {
                await FaceReconService.EnsureConnectedAsync(client, settings).ConfigureAwait(false);
                JobResult result;
                using (job.Cancel.Token.Register(() => client.CancelJobAsync(job.JobId)))
                {
                    result = await client.WaitForJobAsync(job.JobId, p => MainThread.Post(() => OnProgress(job, p))).ConfigureAwait(false);
                }
                await FetchAndImportAsync(job, client, result).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                MainThread.Post(() => Finish(job, e));
            }
        }

        private static void Forget(Task task)
        {
            task.ContinueWith(t => Debug.LogError("[Face Reconstruction] " + t.Exception), TaskContinuationOptions.OnlyOnFaulted);
        }
    }
}
