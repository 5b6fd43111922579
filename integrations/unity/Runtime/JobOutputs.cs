// Getting a finished job's files to where the host wants them (for Unity: Assets/FaceRecon/<name>/): copied
// from disk when the daemon runs on this machine, fetched with result.read otherwise. Each file is written
// under a hidden temporary name first and then moved into place, so an asset importer never sees half a file.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace ReconDaemon.Client
{
    public static class JobOutputs
    {
        private static readonly Regex SafeName = new Regex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$");

        /// <summary>
        /// Copy the job's outputs into <paramref name="destDir"/> (created if needed); returns output kind → the
        /// written file. <paramref name="include"/> picks kinds (default all); <paramref name="forceResultRead"/>
        /// fetches every file through the daemon even when it is readable here.
        /// </summary>
        public static async Task<Dictionary<string, string>> CopyToAsync(ReconClient client, JobResult result, string destDir,
            Func<string, bool> include = null, bool forceResultRead = false, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (result == null) throw new ArgumentNullException("result");
            Directory.CreateDirectory(destDir);
            var written = new Dictionary<string, string>();
            foreach (var kv in result.Files.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (include != null && !include(kv.Key)) continue;
                string name = result.FileName(kv.Key);
                if (name == null || !SafeName.IsMatch(name))
                {
                    throw ReconDaemonException.Client(ErrorCodes.ProtocolError, "Refusing to write an output named \"" + name + "\"",
                        "The daemon sent an unexpected file name; update recon-daemon and this package.");
                }
                string dest = Path.Combine(destDir, name);
                if (!forceResultRead && File.Exists(kv.Value))
                {
                    CopyAtomic(kv.Value, dest);
                }
                else
                {
                    if (client == null) throw ReconDaemonException.Client(ErrorCodes.FileNotFound, kv.Value + " is not readable here", "Connect a client to fetch it with result.read.");
                    var bytes = await client.ReadResultAsync(result.JobId, name, cancellationToken).ConfigureAwait(false);
                    WriteAtomic(dest, bytes);
                }
                written[kv.Key] = dest;
            }
            return written;
        }

        /// <summary>
        /// Files in <paramref name="destDir"/> named like daemon outputs (<paramref name="knownNames"/>) that this
        /// run did not write: left over from an earlier run of the same photo, to delete when replacing it.
        /// </summary>
        public static string[] StaleOutputs(string destDir, IEnumerable<string> writtenFiles, IEnumerable<string> knownNames)
        {
            if (!Directory.Exists(destDir)) return new string[0];
            var keep = new HashSet<string>(writtenFiles.Select(Path.GetFileName), StringComparer.OrdinalIgnoreCase);
            var known = new HashSet<string>(knownNames, StringComparer.OrdinalIgnoreCase);
            return Directory.GetFiles(destDir)
                .Where(f => known.Contains(Path.GetFileName(f)) && !keep.Contains(Path.GetFileName(f)))
                .OrderBy(f => f, StringComparer.Ordinal)
                .ToArray();
        }

        /// <summary>Every file name the daemon writes into a job folder (src/recon/outputs/kinds.ts).</summary>
        public static readonly string[] KnownFileNames =
        {
            "crop.png", "structure.png", "depth.png", "normal.png", "mask.png", "front-structure.png", "front-depth.png", "front-normal.png", "front-mask.png",
            "face.obj", "face.mtl", "texture.png", "texture-normal.png", "texture-visibility.png", "face.glb", "overlay.png", "turntable.webp", "result.json",
        };

        private static string TempNameFor(string dest)
        {
            // Hidden (leading dot) and ending in .tmp: Unity's asset database ignores both.
            return Path.Combine(Path.GetDirectoryName(dest), "." + Path.GetFileName(dest) + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp");
        }

        public static void CopyAtomic(string source, string dest)
        {
            var tmp = TempNameFor(dest);
            try
            {
                File.Copy(source, tmp, true);
                MoveIntoPlace(tmp, dest);
            }
            finally
            {
                if (File.Exists(tmp)) File.Delete(tmp);
            }
        }

        public static void WriteAtomic(string dest, byte[] bytes)
        {
            var tmp = TempNameFor(dest);
            try
            {
                File.WriteAllBytes(tmp, bytes);
                MoveIntoPlace(tmp, dest);
            }
            finally
            {
                if (File.Exists(tmp)) File.Delete(tmp);
            }
        }

        private static void MoveIntoPlace(string tmp, string dest)
        {
            if (File.Exists(dest)) File.Delete(dest);
            File.Move(tmp, dest);
        }

        /// <summary>A file/folder name from a photo's file name: letters, digits, '-', '_' (e.g. "Obama_Portrait").</summary>
        public static string SafeBaseName(string photoPath)
        {
            var stem = Path.GetFileNameWithoutExtension(photoPath ?? "") ?? "";
            var cleaned = Regex.Replace(stem, "[^A-Za-z0-9_-]+", "_").Trim('_');
            if (cleaned.Length == 0) cleaned = "face";
            if (cleaned.Length > 64) cleaned = cleaned.Substring(0, 64);
            return cleaned;
        }
    }
}
