// The client's only contact with the network: one text-message connection. The default is
// WebSocketTransport (System.Net.WebSockets.ClientWebSocket); tests and hosts can pass their own (an in-memory
// fake, or a wrapper that drops the connection to exercise reconnecting).
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ReconDaemon.Client
{
    public interface ITransport : IDisposable
    {
        /// <summary>Open the connection, sending these HTTP headers with the upgrade request.</summary>
        Task ConnectAsync(Uri url, IDictionary<string, string> headers, CancellationToken cancellationToken);

        /// <summary>Send one text message. Calls are serialised by the caller.</summary>
        Task SendAsync(string message, CancellationToken cancellationToken);

        /// <summary>The next whole text message, or null once the peer has closed the connection.</summary>
        Task<string> ReceiveAsync(CancellationToken cancellationToken);

        /// <summary>Close politely (WebSocket close 1000).</summary>
        Task CloseAsync(CancellationToken cancellationToken);

        /// <summary>Drop the connection at once; pending ReceiveAsync calls end.</summary>
        void Abort();

        /// <summary>Why the connection closed, when known (e.g. "1001 shutting down").</summary>
        string CloseDescription { get; }
    }
}
