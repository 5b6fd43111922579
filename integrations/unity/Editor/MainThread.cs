// The client raises its events on a background thread; Unity's API may only be used on the main thread. Work is
// queued here and run from EditorApplication.update, which the editor calls on the main thread many times a
// second, in the order it was posted.
using System;
using System.Collections.Concurrent;
using System.Threading;
using UnityEditor;
using UnityEngine;

namespace ReconDaemon.Editor
{
    internal static class MainThread
    {
        private static readonly ConcurrentQueue<Action> s_queue = new ConcurrentQueue<Action>();
        private static int s_mainThreadId = -1;

        /// <summary>Called once on the main thread at load (FaceReconService's static constructor).</summary>
        public static void Install()
        {
            s_mainThreadId = Thread.CurrentThread.ManagedThreadId;
            EditorApplication.update -= Drain;
            EditorApplication.update += Drain;
        }

        public static bool IsMainThread
        {
            get { return Thread.CurrentThread.ManagedThreadId == s_mainThreadId; }
        }

        /// <summary>Run <paramref name="action"/> on the main thread at the next editor update.</summary>
        public static void Post(Action action)
        {
            s_queue.Enqueue(action);
        }

        private static void Drain()
        {
            // Bounded per update so a flood of progress messages cannot freeze the editor.
            for (int i = 0; i < 200; i++)
            {
                Action action;
                if (!s_queue.TryDequeue(out action)) return;
                try
                {
                    action();
                }
                catch (Exception e)
                {
                    Debug.LogError("[Face Reconstruction] " + e);
                }
            }
        }
    }

    /// <summary>The client's log, in the Console. Debug.Log may be called from any thread.</summary>
    internal sealed class UnityConsoleLogger : ReconDaemon.Client.IReconLogger
    {
        public void Log(ReconDaemon.Client.LogLevel level, string message)
        {
            switch (level)
            {
                case ReconDaemon.Client.LogLevel.Debug:
                    return;
                case ReconDaemon.Client.LogLevel.Info:
                    Debug.Log("[Face Reconstruction] " + message);
                    return;
                case ReconDaemon.Client.LogLevel.Warning:
                    Debug.LogWarning("[Face Reconstruction] " + message);
                    return;
                default:
                    Debug.LogError("[Face Reconstruction] " + message);
                    return;
            }
        }
    }
}
