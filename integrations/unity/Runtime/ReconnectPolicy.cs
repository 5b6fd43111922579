// Exponential backoff with jitter for reconnecting after the connection drops (daemon restarted, laptop woke
// up, editor reloaded): 0.25 s, 0.5 s, 1 s, 2 s … capped at 10 s, each ±20 %, forever unless MaxAttempts is set.
using System;

namespace ReconDaemon.Client
{
    public sealed class ReconnectPolicy
    {
        public TimeSpan InitialDelay = TimeSpan.FromMilliseconds(250);
        public TimeSpan MaxDelay = TimeSpan.FromSeconds(10);
        public double Multiplier = 2.0;
        /// <summary>Each delay is scaled by a random factor in [1 − Jitter, 1 + Jitter] so clients do not stampede.</summary>
        public double Jitter = 0.2;
        /// <summary>Give up after this many failed attempts in a row; 0 = never give up.</summary>
        public int MaxAttempts = 0;

        /// <summary>The delay before attempt number <paramref name="attempt"/> (0-based).</summary>
        public TimeSpan DelayFor(int attempt, Random random = null)
        {
            if (attempt < 0) attempt = 0;
            double ms = InitialDelay.TotalMilliseconds * Math.Pow(Multiplier, Math.Min(attempt, 30));
            ms = Math.Min(ms, MaxDelay.TotalMilliseconds);
            if (Jitter > 0 && random != null)
            {
                double f;
                lock (random) f = 1 + Jitter * (2 * random.NextDouble() - 1);
                ms *= f;
            }
            return TimeSpan.FromMilliseconds(Math.Max(0, ms));
        }

        public bool ShouldGiveUp(int failedAttempts)
        {
            return MaxAttempts > 0 && failedAttempts >= MaxAttempts;
        }
    }
}
