// ITransport over System.Net.WebSockets.ClientWebSocket (available in Unity's .NET profiles and in Mono). No
// Origin header is sent (only browsers send one, and the daemon refuses them). When the upgrade is refused,
// ClientWebSocket only says "Unable to connect"; HandshakeProbe then asks the daemon directly so the caller
// gets its real answer (401 UNAUTHORIZED, 403, 503 SERVER_BUSY …) with the daemon's hint.
using System;
using System.Collections.Generic;
using System.IO;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ReconDaemon.Client
{
    public sealed class WebSocketTransport : ITransport
    {
        /// <summary>Largest message accepted from the daemon (default 256 MiB, room for result.read of large files).</summary>
        public const long DefaultMaxMessageBytes = 256L * 1024 * 1024;

        private readonly ClientWebSocket _socket = new ClientWebSocket();
        private readonly long _maxMessageBytes;
        private readonly byte[] _buffer = new byte[64 * 1024];

        public WebSocketTransport(long maxMessageBytes = DefaultMaxMessageBytes)
        {
            _maxMessageBytes = maxMessageBytes;
            _socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(30);
        }

        public string CloseDescription { get; private set; }

        public async Task ConnectAsync(Uri url, IDictionary<string, string> headers, CancellationToken cancellationToken)
        {
            foreach (var h in headers) _socket.Options.SetRequestHeader(h.Key, h.Value);
            try
            {
                await _socket.ConnectAsync(url, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw;
            }
            catch (Exception e)
            {
                // Ask the daemon what it refused and why (or learn that nothing listens there).
                var probed = await HandshakeProbe.DiagnoseAsync(url, headers, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                if (probed != null) throw new ReconDaemonException(probed.Code, probed.DataCode, probed.Message, probed.Hint, probed.ErrorData, e);
                throw ReconDaemonException.Client(ErrorCodes.ConnectionFailed,
                    "Could not connect to recon-daemon at " + url + ": " + Innermost(e).Message,
                    "Check that recon-daemon is running (`recon-daemon status`) and that the URL in the preferences is right.", e);
            }
        }

        public Task SendAsync(string message, CancellationToken cancellationToken)
        {
            var bytes = Encoding.UTF8.GetBytes(message);
            return _socket.SendAsync(new ArraySegment<byte>(bytes), WebSocketMessageType.Text, true, cancellationToken);
        }

        public async Task<string> ReceiveAsync(CancellationToken cancellationToken)
        {
            using (var ms = new MemoryStream())
            {
                for (;;)
                {
                    WebSocketReceiveResult r;
                    try
                    {
                        r = await _socket.ReceiveAsync(new ArraySegment<byte>(_buffer), cancellationToken).ConfigureAwait(false);
                    }
                    catch (WebSocketException e)
                    {
                        CloseDescription = CloseDescription ?? Innermost(e).Message;
                        return null;
                    }
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        CloseDescription = ((int?)r.CloseStatus ?? 0) + (string.IsNullOrEmpty(r.CloseStatusDescription) ? "" : " " + r.CloseStatusDescription);
                        try
                        {
                            if (_socket.State == WebSocketState.CloseReceived)
                            {
                                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).ConfigureAwait(false);
                            }
                        }
                        catch (Exception)
                        {
                            // already gone
                        }
                        return null;
                    }
                    ms.Write(_buffer, 0, r.Count);
                    if (ms.Length > _maxMessageBytes)
                    {
                        CloseDescription = "message larger than " + _maxMessageBytes + " bytes";
                        Abort();
                        return null;
                    }
                    if (r.EndOfMessage)
                    {
                        if (r.MessageType != WebSocketMessageType.Text) continue; // the protocol is text-only
                        return Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
                    }
                }
            }
        }

        public async Task CloseAsync(CancellationToken cancellationToken)
        {
            if (_socket.State == WebSocketState.Open || _socket.State == WebSocketState.CloseReceived)
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "client closing", cancellationToken).ConfigureAwait(false);
            }
        }

        public void Abort()
        {
            try
            {
                _socket.Abort();
            }
            catch (Exception)
            {
                // already disposed
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
        }

        internal static Exception Innermost(Exception e)
        {
            while (e.InnerException != null) e = e.InnerException;
            return e;
        }
    }
}
