// The client logs through this interface so it never depends on an engine: the Unity editor layer passes a
// logger that writes to the Console, tests pass one that writes to stdout, and the default discards everything.
using System;

namespace ReconDaemon.Client
{
    public enum LogLevel
    {
        Debug = 0,
        Info = 1,
        Warning = 2,
        Error = 3,
    }

    public interface IReconLogger
    {
        void Log(LogLevel level, string message);
    }

    /// <summary>Discards every message.</summary>
    public sealed class NullLogger : IReconLogger
    {
        public static readonly NullLogger Instance = new NullLogger();

        public void Log(LogLevel level, string message)
        {
        }
    }

    /// <summary>Writes messages at or above <see cref="MinLevel"/> to a TextWriter (stderr by default).</summary>
    public sealed class TextWriterLogger : IReconLogger
    {
        private readonly System.IO.TextWriter _writer;
        private readonly object _lock = new object();

        public TextWriterLogger(System.IO.TextWriter writer = null, LogLevel minLevel = LogLevel.Info)
        {
            _writer = writer ?? Console.Error;
            MinLevel = minLevel;
        }

        public LogLevel MinLevel { get; set; }

        public void Log(LogLevel level, string message)
        {
            if (level < MinLevel) return;
            lock (_lock) _writer.WriteLine("[recon-daemon " + level.ToString().ToLowerInvariant() + "] " + message);
        }
    }
}
