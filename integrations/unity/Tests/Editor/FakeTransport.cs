// An in-memory ITransport for unit tests: records what the client sends and lets the test (or a scripted
// "daemon") answer. No network, no engine.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace ReconDaemon.Client.Tests
{
    public sealed class FakeTransport : ITransport
    {
        private readonly BlockingCollection<string> _incoming = new BlockingCollection<string>();
        private readonly object _lock = new object();

        /// <summary>Every message the client sent, parsed.</summary>
        public readonly List<JObject> Sent = new List<JObject>();

        /// <summary>The upgrade request's headers.</summary>
        public IDictionary<string, string> Headers;

        public Uri Url;

        /// <summary>Called for each message the client sends; returns the daemon's replies (may be empty).</summary>
        public Func<JObject, IEnumerable<string>> Daemon;

        /// <summary>Makes ConnectAsync fail (e.g. with a ReconDaemonException).</summary>
        public Exception ConnectError;

        public string CloseDescription { get; set; }

        public bool Closed { get; private set; }

        public Task ConnectAsync(Uri url, IDictionary<string, string> headers, CancellationToken cancellationToken)
        {
            Url = url;
            Headers = headers;
            if (ConnectError != null) throw ConnectError;
            return Task.FromResult(0);
        }

        public Task SendAsync(string message, CancellationToken cancellationToken)
        {
            if (Closed) throw new InvalidOperationException("closed");
            var o = JObject.Parse(message);
            lock (_lock) Sent.Add(o);
            if (Daemon != null)
            {
                foreach (var reply in Daemon(o)) Push(reply);
            }
            return Task.FromResult(0);
        }

        public Task<string> ReceiveAsync(CancellationToken cancellationToken)
        {
            return Task.Run(() =>
            {
                try
                {
                    var s = _incoming.Take(cancellationToken);
                    return s == "\u0000close" ? null : s;
                }
                catch (InvalidOperationException)
                {
                    return null; // completed: closed
                }
            });
        }

        /// <summary>A message from the "daemon".</summary>
        public void Push(string message)
        {
            if (!_incoming.IsAddingCompleted) _incoming.Add(message);
        }

        public void Push(JObject message)
        {
            Push(message.ToString(Newtonsoft.Json.Formatting.None));
        }

        /// <summary>The daemon closes the connection.</summary>
        public void PeerClose(string why)
        {
            CloseDescription = why;
            Push("\u0000close");
        }

        public Task CloseAsync(CancellationToken cancellationToken)
        {
            Abort();
            return Task.FromResult(0);
        }

        public void Abort()
        {
            if (Closed) return;
            Closed = true;
            _incoming.CompleteAdding();
        }

        public void Dispose()
        {
        }

        public List<JObject> SentSnapshot()
        {
            lock (_lock) return new List<JObject>(Sent);
        }

        // ---------------------------------------------------------------------------------------------------
        // A scripted daemon

        public static JObject Result(JObject request, JToken result)
        {
            return new JObject { { "jsonrpc", "2.0" }, { "id", request["id"] }, { "result", result } };
        }

        public static JObject Error(JObject request, int code, string dataCode, string message, string hint)
        {
            return new JObject
            {
                { "jsonrpc", "2.0" }, { "id", request["id"] },
                { "error", new JObject { { "code", code }, { "message", message }, { "data", new JObject { { "code", dataCode }, { "hint", hint } } } } },
            };
        }

        public static JObject Notification(string method, JObject parameters)
        {
            return new JObject { { "jsonrpc", "2.0" }, { "method", method }, { "params", parameters } };
        }

        public static JObject InitializeResult(string protocolVersion = "1.0")
        {
            return new JObject
            {
                { "serverInfo", new JObject { { "name", "recon-daemon" }, { "version", "9.9.9" } } },
                { "protocolVersion", protocolVersion },
                { "clientId", "c-000000000001" },
                { "capabilities", new JObject { { "methods", new JArray("initialize", "recon.reconstruct") }, { "notifications", new JArray() } } },
            };
        }
    }
}
