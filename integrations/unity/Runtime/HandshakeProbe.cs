// When a WebSocket upgrade fails, send the same upgrade request over a plain TCP socket and read the daemon's
// HTTP answer: its status and JSON body {"error": {code, message, data: {code, hint}}} (docs/protocol.md,
// "Connecting"). Used only on the failure path, so users see "the token does not match" rather than
// "Unable to connect to the remote server".
using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace ReconDaemon.Client
{
    public static class HandshakeProbe
    {
        /// <summary>
        /// The daemon's refusal as an exception (UNAUTHORIZED, ORIGIN_NOT_ALLOWED, HOST_NOT_ALLOWED, SERVER_BUSY,
        /// SHUTTING_DOWN, …), CONNECTION_FAILED when nothing accepts connections there, or null when the probe
        /// cannot tell (for instance the upgrade now succeeds).
        /// </summary>
        public static async Task<ReconDaemonException> DiagnoseAsync(Uri url, IDictionary<string, string> headers, TimeSpan timeout)
        {
            var work = ProbeAsync(url, headers);
            var done = await Task.WhenAny(work, Task.Delay(timeout)).ConfigureAwait(false);
            if (done != work) return null;
            try
            {
                return await work.ConfigureAwait(false);
            }
            catch (Exception)
            {
                return null;
            }
        }

        private static async Task<ReconDaemonException> ProbeAsync(Uri url, IDictionary<string, string> headers)
        {
            using (var tcp = new TcpClient())
            {
                try
                {
                    await tcp.ConnectAsync(url.Host.Trim('[', ']'), url.Port).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    return ReconDaemonException.Client(ErrorCodes.ConnectionFailed,
                        "Nothing accepts connections at " + url + " (" + e.Message + ")",
                        "Start recon-daemon (`recon-daemon start`), or turn on auto-start in the preferences; if it runs, check the URL.", e);
                }
                Stream stream = tcp.GetStream();
                if (url.Scheme == "wss")
                {
                    var ssl = new SslStream(stream, false);
                    await ssl.AuthenticateAsClientAsync(url.Host).ConfigureAwait(false);
                    stream = ssl;
                }
                var req = new StringBuilder();
                req.Append("GET ").Append(url.PathAndQuery).Append(" HTTP/1.1\r\n");
                req.Append("Host: ").Append(url.Authority).Append("\r\n");
                req.Append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n");
                req.Append("Sec-WebSocket-Key: ").Append(Convert.ToBase64String(Guid.NewGuid().ToByteArray())).Append("\r\n");
                foreach (var h in headers) req.Append(h.Key).Append(": ").Append(h.Value).Append("\r\n");
                req.Append("\r\n");
                var bytes = Encoding.ASCII.GetBytes(req.ToString());
                await stream.WriteAsync(bytes, 0, bytes.Length).ConfigureAwait(false);

                // Read the head, then the body (Content-Length, or until the server closes; at most 64 KiB).
                var buf = new MemoryStream();
                var chunk = new byte[4096];
                int headEnd = -1;
                long contentLength = -1;
                while (buf.Length < 65536)
                {
                    int n = await stream.ReadAsync(chunk, 0, chunk.Length).ConfigureAwait(false);
                    if (n <= 0) break;
                    buf.Write(chunk, 0, n);
                    var text = Encoding.UTF8.GetString(buf.GetBuffer(), 0, (int)buf.Length);
                    if (headEnd < 0)
                    {
                        headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                        if (headEnd >= 0)
                        {
                            contentLength = ContentLength(text.Substring(0, headEnd));
                            if (StatusOf(text) == 101) return null; // it works now
                        }
                    }
                    if (headEnd >= 0 && contentLength >= 0 && buf.Length - (headEnd + 4) >= contentLength) break;
                }
                var all = Encoding.UTF8.GetString(buf.GetBuffer(), 0, (int)buf.Length);
                int status = StatusOf(all);
                if (status <= 0) return null;
                string body = headEnd >= 0 ? all.Substring(headEnd + 4) : "";
                return FromHttpAnswer(status, body, url);
            }
        }

        /// <summary>The daemon's HTTP refusal (status + JSON body) as an exception.</summary>
        public static ReconDaemonException FromHttpAnswer(int status, string body, Uri url)
        {
            try
            {
                var o = JObject.Parse(body);
                if (o["error"] is JObject) return ReconDaemonException.FromErrorObject(o["error"]);
            }
            catch (Exception)
            {
                // not the daemon's JSON: fall through
            }
            string code = status == 401 ? ErrorCodes.Unauthorized : status == 503 ? ErrorCodes.ServerBusy : ErrorCodes.ConnectionFailed;
            return ReconDaemonException.Client(code,
                "The server at " + url + " refused the connection with HTTP " + status,
                status == 401
                    ? "Check the token in the preferences (leave it empty to read the daemon's token file)."
                    : "Check that the URL points at recon-daemon.");
        }

        private static int StatusOf(string text)
        {
            // "HTTP/1.1 401 Unauthorized"
            if (!text.StartsWith("HTTP/", StringComparison.Ordinal)) return -1;
            var parts = text.Split(new[] { ' ' }, 3);
            int s;
            return parts.Length >= 2 && int.TryParse(parts[1], out s) ? s : -1;
        }

        private static long ContentLength(string head)
        {
            foreach (var line in head.Split(new[] { "\r\n" }, StringSplitOptions.None))
            {
                int colon = line.IndexOf(':');
                if (colon > 0 && line.Substring(0, colon).Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    long n;
                    if (long.TryParse(line.Substring(colon + 1).Trim(), out n)) return n;
                }
            }
            return -1;
        }
    }
}
