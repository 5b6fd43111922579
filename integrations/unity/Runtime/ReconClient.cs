// An engine-free client for recon-daemon (docs/protocol.md): JSON-RPC 2.0 over one WebSocket, the initialize
// handshake with the token, jobs with progress and completion, cancel, result.read, plugin commands, and
// reconnecting with backoff when the connection drops. No UnityEngine/UnityEditor here: the editor layer gives
// it a logger (and may give it a transport) and marshals its events to the main thread.
//
// Threading: every method may be called from any thread. Events and progress callbacks run on a background
// thread (the receive loop); hosts with a UI thread must marshal them. Internally every await uses
// ConfigureAwait(false), so blocking a UI thread on a returned task cannot deadlock on its synchronization
// context.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ReconDaemon.Client
{
    public enum ConnectionState
    {
        /// <summary>Not connected (never connected, or gave up reconnecting).</summary>
        Disconnected,
        Connecting,
        /// <summary>Connected and initialized: requests go out at once.</summary>
        Connected,
        /// <summary>The connection dropped; waiting to try again (backoff).</summary>
        Reconnecting,
        /// <summary>Closed by Close/Dispose; ConnectAsync opens it again.</summary>
        Closed,
    }

    public sealed class ReconClientOptions
    {
        /// <summary>ws://host:port/ of the daemon; null or empty = find the local daemon through its discovery file.</summary>
        public string Url;

        /// <summary>The daemon's token; null or empty = read the token file.</summary>
        public string Token;

        /// <summary>Replaces Url/Token resolution entirely (called before every connection attempt).</summary>
        public Func<DaemonEndpoint> EndpointResolver;

        /// <summary>Environment lookup for discovery (XDG_*, HOME); default: the process environment.</summary>
        public Func<string, string> GetEnvironmentVariable;

        public ClientInfo ClientInfo = new ClientInfo { Name = "recon-daemon-csharp", Version = ReconClient.Version };

        public TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

        /// <summary>Per-request timeout (a job's own duration is not limited; only its requests are).</summary>
        public TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

        /// <summary>Reconnect by itself after the connection drops (not after Close).</summary>
        public bool AutoReconnect = true;

        public ReconnectPolicy Reconnect = new ReconnectPolicy();
    }

    public sealed class ReconClient : IDisposable
    {
        public const string Version = "0.1.0";

        private static readonly JsonSerializer Serializer = JsonSerializer.Create(new JsonSerializerSettings { NullValueHandling = NullValueHandling.Ignore });

        private readonly ReconClientOptions _options;
        private readonly IReconLogger _log;
        private readonly Func<ITransport> _transportFactory;
        private readonly object _gate = new object();
        private readonly SemaphoreSlim _connectLock = new SemaphoreSlim(1, 1);
        private readonly SemaphoreSlim _sendLock = new SemaphoreSlim(1, 1);
        private readonly ConcurrentDictionary<long, PendingRequest> _pending = new ConcurrentDictionary<long, PendingRequest>();
        private readonly Dictionary<string, JobTracker> _jobs = new Dictionary<string, JobTracker>();
        private readonly Random _random = new Random();

        private ITransport _transport;
        private int _generation;
        private ConnectionState _state = ConnectionState.Disconnected;
        private TaskCompletionSource<bool> _connected = NewTcs<bool>();
        private bool _closed;
        private bool _disposed;
        private CancellationTokenSource _reconnectCts;
        private Task _reconnectLoop;
        private long _nextId;
        private string[] _userEvents = new string[0];
        private bool _jobEventsNeeded;

        /// <param name="options">Where and how to connect (default: discover the local daemon).</param>
        /// <param name="logger">Where the client logs (default: nowhere).</param>
        /// <param name="transportFactory">Makes one transport per connection attempt (default: WebSocketTransport).</param>
        public ReconClient(ReconClientOptions options = null, IReconLogger logger = null, Func<ITransport> transportFactory = null)
        {
            _options = options ?? new ReconClientOptions();
            _log = logger ?? NullLogger.Instance;
            _transportFactory = transportFactory ?? (() => new WebSocketTransport());
        }

        // ----------------------------------------------------------------------------------------------------
        // State and events

        public ConnectionState State
        {
            get { lock (_gate) return _state; }
        }

        /// <summary>The daemon's answer to initialize on the current (or last) connection.</summary>
        public InitializeResult Server { get; private set; }

        /// <summary>Where the current (or last) connection went.</summary>
        public DaemonEndpoint Endpoint { get; private set; }

        /// <summary>The connection's state changed (background thread).</summary>
        public event Action<ConnectionState> StateChanged;

        /// <summary>A reconnect attempt is scheduled: attempt number (1-based) and the delay before it.</summary>
        public event Action<int, TimeSpan> ReconnectScheduled;

        /// <summary>Every job.progress this connection receives (its own jobs, and all jobs when subscribed).</summary>
        public event Action<JobProgress> JobProgressReceived;

        public event Action<JobResult> JobCompletedReceived;

        public event Action<JobFailure> JobFailedReceived;

        /// <summary>The daemon is stopping (daemon.shuttingDown); the client reconnects when it comes back.</summary>
        public event Action<ShuttingDownInfo> DaemonShuttingDown;

        /// <summary>A plugin's message for the user (window.showMessage).</summary>
        public event Action<PluginMessage> PluginMessageReceived;

        /// <summary>Every notification, by method name, with its raw params.</summary>
        public event Action<string, JObject> NotificationReceived;

        // ----------------------------------------------------------------------------------------------------
        // Connecting

        /// <summary>
        /// Connect and initialize now (stopping any backoff wait). Throws ReconDaemonException: DAEMON_NOT_RUNNING,
        /// TOKEN_NOT_FOUND, CONNECTION_FAILED, UNAUTHORIZED, UNSUPPORTED_PROTOCOL_VERSION, TIMEOUT …
        /// </summary>
        public async Task ConnectAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            ThrowIfDisposed();
            lock (_gate) _closed = false;
            StopReconnectLoop();
            await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (State == ConnectionState.Connected) return;
                await ConnectOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _connectLock.Release();
            }
        }

        /// <summary>
        /// Keep trying to connect in the background with backoff (first attempt at once) until connected or
        /// closed; for hosts that want a connection whenever the daemon is up (e.g. after an editor reload).
        /// </summary>
        public void StartConnecting()
        {
            ThrowIfDisposed();
            lock (_gate)
            {
                _closed = false;
                if (_state == ConnectionState.Connected) return;
            }
            StartReconnectLoop(immediately: true);
        }

        /// <summary>Wait until connected (connecting now if nobody is), at most <paramref name="timeout"/>.</summary>
        public async Task WaitConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken = default(CancellationToken))
        {
            await GetConnectionAsync(cancellationToken, timeout).ConfigureAwait(false);
        }

        private DaemonEndpoint ResolveEndpoint()
        {
            if (_options.EndpointResolver != null) return _options.EndpointResolver();
            return DaemonDiscovery.Resolve(_options.Url, _options.Token, _options.GetEnvironmentVariable);
        }

        // Callers hold _connectLock.
        private async Task ConnectOnceAsync(CancellationToken cancellationToken)
        {
            SetState(ConnectionState.Connecting);
            DaemonEndpoint endpoint;
            ITransport transport;
            try
            {
                endpoint = ResolveEndpoint();
                transport = _transportFactory();
            }
            catch (Exception)
            {
                SetState(ConnectionState.Disconnected);
                throw;
            }
            var headers = new Dictionary<string, string> { { "Authorization", "Bearer " + endpoint.Token } };
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                cts.CancelAfter(_options.ConnectTimeout);
                try
                {
                    await transport.ConnectAsync(endpoint.Url, headers, cts.Token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    transport.Dispose();
                    SetState(ConnectionState.Disconnected);
                    if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
                    {
                        throw ReconDaemonException.Client(ErrorCodes.Timeout,
                            "recon-daemon at " + endpoint.Url + " did not accept the connection within " + _options.ConnectTimeout.TotalSeconds + " s",
                            "Check that recon-daemon is running and responsive (`recon-daemon status`).", e);
                    }
                    throw;
                }
            }

            int generation;
            bool closedMeanwhile;
            lock (_gate)
            {
                closedMeanwhile = _closed || _disposed;
                generation = ++_generation;
                if (!closedMeanwhile)
                {
                    _transport = transport;
                    Endpoint = endpoint;
                }
            }
            if (closedMeanwhile)
            {
                transport.Abort();
                transport.Dispose();
                throw ReconDaemonException.Client(ErrorCodes.ConnectionClosed, "The client was closed while connecting", "Call ConnectAsync to connect again.");
            }
            var connection = new Connection(transport, generation);
            Forget(Task.Run(() => ReceiveLoopAsync(transport, generation)));

            InitializeResult init;
            try
            {
                var result = await SendRequestAsync(connection, Methods.Initialize, new JObject
                {
                    { "clientInfo", JToken.FromObject(_options.ClientInfo, Serializer) },
                    { "protocolVersion", Methods.ProtocolVersion },
                }, _options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
                init = result.ToObject<InitializeResult>();
                if (Major(init.ProtocolVersion) != Major(Methods.ProtocolVersion))
                {
                    throw ReconDaemonException.Client(ErrorCodes.UnsupportedProtocolVersion,
                        "The daemon speaks protocol " + init.ProtocolVersion + " but this client speaks " + Methods.ProtocolVersion,
                        "Update the Unity package and recon-daemon to matching versions.");
                }
            }
            catch (Exception)
            {
                lock (_gate)
                {
                    if (_transport == transport) _transport = null;
                }
                transport.Abort();
                SetState(ConnectionState.Disconnected);
                throw;
            }
            Server = init;
            _log.Log(LogLevel.Info, "Connected to recon-daemon " + init.ServerInfo.Version + " at " + endpoint.Url + " as " + init.ClientId);
            SetState(ConnectionState.Connected);
            Forget(AfterConnectAsync(connection));
        }

        private static string Major(string version)
        {
            if (string.IsNullOrEmpty(version)) return "";
            int dot = version.IndexOf('.');
            return dot < 0 ? version : version.Substring(0, dot);
        }

        // Restore what the daemon forgot with the old connection: the event subscription, and jobs someone still
        // waits for that were started on an earlier connection (their notifications went to that connection).
        private async Task AfterConnectAsync(Connection connection)
        {
            try
            {
                string[] events = CurrentSubscription();
                if (events.Length > 0) await SendSubscribeAsync(connection, events).ConfigureAwait(false);
                List<JobTracker> orphans;
                lock (_gate)
                {
                    orphans = _jobs.Values.Where(t => t.Watchers > 0 && !t.Done.Task.IsCompleted && t.OwnerGeneration != connection.Generation).ToList();
                }
                foreach (var t in orphans) await SyncJobAsync(t).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _log.Log(LogLevel.Warning, "Could not restore the session after connecting: " + e.Message);
            }
        }

        private void StartReconnectLoop(bool immediately)
        {
            lock (_gate)
            {
                if (_closed || _disposed) return;
                if (_reconnectLoop != null && !_reconnectLoop.IsCompleted) return;
                _reconnectCts = new CancellationTokenSource();
                var token = _reconnectCts.Token;
                _reconnectLoop = Task.Run(() => ReconnectLoopAsync(token, immediately));
            }
        }

        private void StopReconnectLoop()
        {
            CancellationTokenSource cts;
            lock (_gate)
            {
                cts = _reconnectCts;
                _reconnectCts = null;
            }
            if (cts != null) cts.Cancel();
        }

        private async Task ReconnectLoopAsync(CancellationToken token, bool immediately)
        {
            int failures = 0;
            while (!token.IsCancellationRequested)
            {
                SetState(ConnectionState.Reconnecting);
                TimeSpan delay = immediately && failures == 0 ? TimeSpan.Zero : _options.Reconnect.DelayFor(failures, _random);
                Raise(ReconnectScheduled, failures + 1, delay);
                try
                {
                    if (delay > TimeSpan.Zero) await Task.Delay(delay, token).ConfigureAwait(false);
                    await _connectLock.WaitAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                try
                {
                    if (State == ConnectionState.Connected) return;
                    lock (_gate)
                    {
                        if (_closed || _disposed) return;
                    }
                    await ConnectOnceAsync(token).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception e)
                {
                    failures++;
                    _log.Log(failures == 1 ? LogLevel.Info : LogLevel.Debug, "Reconnect attempt " + failures + " failed: " + e.Message);
                    if (_options.Reconnect.ShouldGiveUp(failures))
                    {
                        SetState(ConnectionState.Disconnected);
                        FailWatchedJobs(ReconDaemonException.Client(ErrorCodes.ConnectionLost,
                            "Lost the connection to recon-daemon and could not reconnect after " + failures + " attempts",
                            "Start the daemon (`recon-daemon start`) and try again; finished jobs stay in its output folder.", e));
                        return;
                    }
                }
                finally
                {
                    _connectLock.Release();
                }
            }
        }

        // ----------------------------------------------------------------------------------------------------
        // Closing

        /// <summary>Close the connection politely and stop reconnecting. Waiters on jobs get CONNECTION_CLOSED.</summary>
        public async Task CloseAsync()
        {
            ITransport transport;
            lock (_gate)
            {
                _closed = true;
                transport = _transport;
                _transport = null;
            }
            StopReconnectLoop();
            SetState(ConnectionState.Closed);
            var closed = ReconDaemonException.Client(ErrorCodes.ConnectionClosed, "The connection to recon-daemon was closed by this client",
                "Jobs already submitted go on in the daemon; their results stay in its output folder.");
            FailPending(null, closed);
            FailWatchedJobs(closed);
            if (transport == null) return;
            try
            {
                using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
                {
                    await transport.CloseAsync(cts.Token).ConfigureAwait(false);
                }
            }
            catch (Exception)
            {
                transport.Abort();
            }
        }

        /// <summary>Close, waiting at most <paramref name="timeout"/> (then drop the socket). Safe on a UI thread.</summary>
        public void Close(TimeSpan timeout)
        {
            ITransport transport;
            lock (_gate) transport = _transport;
            try
            {
                if (!Task.Run(() => CloseAsync()).Wait(timeout) && transport != null) transport.Abort();
            }
            catch (Exception)
            {
                if (transport != null) transport.Abort();
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                if (_disposed) return;
            }
            Close(TimeSpan.FromSeconds(1));
            lock (_gate) _disposed = true;
        }

        private void ThrowIfDisposed()
        {
            lock (_gate)
            {
                if (_disposed) throw new ObjectDisposedException("ReconClient");
            }
        }

        // ----------------------------------------------------------------------------------------------------
        // Requests

        private sealed class Connection
        {
            public readonly ITransport Transport;
            public readonly int Generation;

            public Connection(ITransport transport, int generation)
            {
                Transport = transport;
                Generation = generation;
            }
        }

        private sealed class PendingRequest
        {
            public readonly string Method;
            public readonly int Generation;
            public readonly TaskCompletionSource<JToken> Tcs = NewTcs<JToken>();

            public PendingRequest(string method, int generation)
            {
                Method = method;
                Generation = generation;
            }
        }

        // Fire and forget, observing the exception (these tasks log their own failures).
        private static void Forget(Task task)
        {
            task.ContinueWith(t => { var ignored = t.Exception; }, TaskContinuationOptions.OnlyOnFaulted);
        }

        private static TaskCompletionSource<T> NewTcs<T>()
        {
            return new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        // The live connection; waits for a reconnect in progress, or connects when nobody is connecting.
        private async Task<Connection> GetConnectionAsync(CancellationToken cancellationToken, TimeSpan? timeout = null)
        {
            ThrowIfDisposed();
            var deadline = DateTime.UtcNow + (timeout ?? _options.RequestTimeout);
            for (;;)
            {
                Task<bool> connected;
                bool connectNow;
                lock (_gate)
                {
                    if (_state == ConnectionState.Connected && _transport != null) return new Connection(_transport, _generation);
                    if (_closed && _state == ConnectionState.Closed)
                    {
                        throw ReconDaemonException.Client(ErrorCodes.ConnectionClosed, "The client is closed", "Call ConnectAsync to connect again.");
                    }
                    connected = _connected.Task;
                    connectNow = _state == ConnectionState.Disconnected;
                }
                if (connectNow)
                {
                    await ConnectAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    throw ReconDaemonException.Client(ErrorCodes.ConnectionLost, "Not connected to recon-daemon (still reconnecting)",
                        "Check that recon-daemon is running (`recon-daemon status`); the client keeps trying.");
                }
                var wait = Task.Delay(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), cancellationToken);
                await Task.WhenAny(connected, wait).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        /// <summary>Send any request and return its raw result (the typed methods below cover the protocol).</summary>
        public async Task<JToken> RequestAsync(string method, object parameters = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            var sent = await RequestOnConnectionAsync(method, parameters, cancellationToken).ConfigureAwait(false);
            return sent.Value;
        }

        // A request on the live connection. When the message cannot even be sent (the socket died and the receive
        // loop has not noticed yet), the daemon never saw it: the connection is written off, and the request goes
        // once more on the next connection (waiting for the reconnect).
        private async Task<KeyValuePair<Connection, JToken>> RequestOnConnectionAsync(string method, object parameters, CancellationToken cancellationToken)
        {
            for (int attempt = 0;; attempt++)
            {
                var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var result = await SendRequestAsync(connection, method, parameters, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
                    return new KeyValuePair<Connection, JToken>(connection, result);
                }
                catch (SendFailedException) when (attempt == 0 && _options.AutoReconnect)
                {
                    connection.Transport.Abort();
                    OnTransportClosed(connection.Transport, connection.Generation);
                }
            }
        }

        private sealed class SendFailedException : ReconDaemonException
        {
            public SendFailedException(string method, Exception inner)
                : base(RpcCodes.ClientError, ErrorCodes.ConnectionLost, "Could not send " + method + " to recon-daemon: " + WebSocketTransport.Innermost(inner).Message,
                    "The connection dropped; the client reconnects by itself. Try again in a moment.", null, inner)
            {
            }
        }

        public async Task<T> RequestAsync<T>(string method, object parameters = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            var result = await RequestAsync(method, parameters, cancellationToken).ConfigureAwait(false);
            return result.ToObject<T>();
        }

        private async Task<JToken> SendRequestAsync(Connection connection, string method, object parameters, TimeSpan timeout, CancellationToken cancellationToken)
        {
            long id = Interlocked.Increment(ref _nextId);
            var pending = new PendingRequest(method, connection.Generation);
            _pending[id] = pending;
            var message = new JObject { { "jsonrpc", "2.0" }, { "id", id }, { "method", method } };
            if (parameters != null) message["params"] = parameters as JToken ?? JToken.FromObject(parameters, Serializer);
            string text = message.ToString(Formatting.None);
            try
            {
                await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await connection.Transport.SendAsync(text, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
            catch (Exception e)
            {
                PendingRequest ignored;
                _pending.TryRemove(id, out ignored);
                if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
                throw new SendFailedException(method, e);
            }
            using (var timer = new CancellationTokenSource(timeout))
            using (timer.Token.Register(() => Expire(id, ReconDaemonException.Client(ErrorCodes.Timeout,
                       "recon-daemon did not answer " + method + " within " + timeout.TotalSeconds + " s", "The daemon may be overloaded or stuck; check `recon-daemon status` and its log."))))
            using (cancellationToken.Register(() =>
            {
                PendingRequest p;
                if (_pending.TryRemove(id, out p)) p.Tcs.TrySetCanceled();
            }))
            {
                return await pending.Tcs.Task.ConfigureAwait(false);
            }
        }

        private void Expire(long id, Exception error)
        {
            PendingRequest p;
            if (_pending.TryRemove(id, out p)) p.Tcs.TrySetException(error);
        }

        private void FailPending(int? generation, Exception error)
        {
            foreach (var kv in _pending.ToArray())
            {
                if (generation.HasValue && kv.Value.Generation != generation.Value) continue;
                PendingRequest p;
                if (_pending.TryRemove(kv.Key, out p)) p.Tcs.TrySetException(error);
            }
        }

        // ----------------------------------------------------------------------------------------------------
        // Receiving

        private async Task ReceiveLoopAsync(ITransport transport, int generation)
        {
            try
            {
                for (;;)
                {
                    string text = await transport.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
                    if (text == null) break;
                    Dispatch(text);
                }
            }
            catch (Exception e)
            {
                _log.Log(LogLevel.Debug, "Receive loop ended: " + e.Message);
            }
            try
            {
                OnTransportClosed(transport, generation);
            }
            finally
            {
                transport.Dispose();
            }
        }

        private void OnTransportClosed(ITransport transport, int generation)
        {
            string why = transport.CloseDescription ?? "connection closed";
            bool current;
            bool reconnect;
            lock (_gate)
            {
                current = _transport == transport;
                if (current) _transport = null;
                reconnect = current && !_closed && !_disposed && _options.AutoReconnect;
            }
            // The state changes before the pending requests fail, so code that awaits one of them sees the client
            // disconnected (it raced under load when the requests failed first).
            if (current)
            {
                _log.Log(LogLevel.Info, "Disconnected from recon-daemon (" + why + ")" + (reconnect ? "; reconnecting" : ""));
                SetState(ConnectionState.Disconnected);
            }
            FailPending(generation, ReconDaemonException.Client(ErrorCodes.ConnectionLost, "The connection to recon-daemon closed (" + why + ")",
                "The daemon stopped or the connection dropped; the client reconnects by itself. Try again in a moment."));
            if (!current) return;
            if (reconnect)
            {
                StartReconnectLoop(immediately: false);
            }
            else
            {
                FailWatchedJobs(ReconDaemonException.Client(ErrorCodes.ConnectionLost, "The connection to recon-daemon closed (" + why + ")",
                    "Reconnect and look the job up with jobs.list; finished jobs stay in the daemon's output folder."));
            }
        }

        private void Dispatch(string text)
        {
            JToken message;
            try
            {
                message = JToken.Parse(text);
            }
            catch (Exception e)
            {
                _log.Log(LogLevel.Warning, "Ignoring a message that is not JSON: " + e.Message);
                return;
            }
            var batch = message as JArray;
            if (batch != null)
            {
                foreach (var m in batch) DispatchOne(m as JObject);
            }
            else
            {
                DispatchOne(message as JObject);
            }
        }

        private void DispatchOne(JObject o)
        {
            if (o == null) return;
            var method = o["method"];
            var id = o["id"];
            bool hasId = id != null && id.Type != JTokenType.Null;
            if (method != null && method.Type == JTokenType.String)
            {
                if (hasId)
                {
                    // The protocol defines no daemon → client requests: say so, as JSON-RPC asks.
                    var reply = new JObject
                    {
                        { "jsonrpc", "2.0" }, { "id", id },
                        { "error", new JObject { { "code", RpcCodes.MethodNotFound }, { "message", "Unknown method \"" + (string)method + "\"" } } },
                    };
                    Forget(SendRawAsync(reply.ToString(Formatting.None)));
                    return;
                }
                HandleNotification((string)method, o["params"] as JObject ?? new JObject());
                return;
            }
            if (!hasId)
            {
                if (o["error"] != null) _log.Log(LogLevel.Warning, "recon-daemon reported: " + o["error"].ToString(Formatting.None));
                return;
            }
            if (id.Type != JTokenType.Integer) return;
            PendingRequest pending;
            if (!_pending.TryRemove(id.Value<long>(), out pending)) return; // timed out or cancelled meanwhile
            var error = o["error"];
            if (error != null && error.Type != JTokenType.Null) pending.Tcs.TrySetException(ReconDaemonException.FromErrorObject(error));
            else pending.Tcs.TrySetResult(o["result"] ?? JValue.CreateNull());
        }

        private async Task SendRawAsync(string text)
        {
            ITransport transport;
            lock (_gate) transport = _transport;
            if (transport == null) return;
            try
            {
                await _sendLock.WaitAsync().ConfigureAwait(false);
                try
                {
                    await transport.SendAsync(text, CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
            catch (Exception e)
            {
                _log.Log(LogLevel.Debug, "Could not send: " + e.Message);
            }
        }

        private void HandleNotification(string method, JObject parameters)
        {
            Raise(NotificationReceived, method, parameters);
            try
            {
                switch (method)
                {
                    case Notifications.JobProgress:
                    {
                        var p = parameters.ToObject<JobProgress>();
                        if (string.IsNullOrEmpty(p.JobId)) return;
                        TrackerFor(p.JobId).Progress(p, _log);
                        Raise(JobProgressReceived, p);
                        break;
                    }
                    case Notifications.JobCompleted:
                    {
                        var c = parameters.ToObject<JobCompletedParams>();
                        if (string.IsNullOrEmpty(c.JobId) || c.Result == null) return;
                        c.Result.JobId = c.JobId;
                        Raise(JobCompletedReceived, c.Result); // events first, then the job's waiters
                        TrackerFor(c.JobId).Done.TrySetResult(c.Result);
                        break;
                    }
                    case Notifications.JobFailed:
                    {
                        var f = parameters.ToObject<JobFailedParams>();
                        if (string.IsNullOrEmpty(f.JobId)) return;
                        var failure = new JobFailure { JobId = f.JobId, Dir = f.Dir, Error = ReconDaemonException.FromErrorObject(f.Error) };
                        Raise(JobFailedReceived, failure);
                        TrackerFor(f.JobId).Done.TrySetException(failure.Error);
                        break;
                    }
                    case Notifications.DaemonShuttingDown:
                        Raise(DaemonShuttingDown, parameters.ToObject<ShuttingDownInfo>());
                        break;
                    case Notifications.WindowShowMessage:
                        Raise(PluginMessageReceived, parameters.ToObject<PluginMessage>());
                        break;
                }
            }
            catch (Exception e)
            {
                _log.Log(LogLevel.Warning, "Ignoring a malformed " + method + " notification: " + e.Message);
            }
        }

        // ----------------------------------------------------------------------------------------------------
        // Jobs

        private sealed class JobTracker
        {
            public readonly string JobId;
            public readonly TaskCompletionSource<JobResult> Done = NewTcs<JobResult>();
            /// <summary>The connection generation that submitted the job (0 = another connection or client).</summary>
            public int OwnerGeneration;
            public int Watchers;
            public long Touched;
            private readonly object _lock = new object();
            private readonly List<JobProgress> _early = new List<JobProgress>();
            private Action<JobProgress> _onProgress;

            public JobTracker(string jobId)
            {
                JobId = jobId;
            }

            // Progress that arrives before anyone listens (the daemon may report before the submitter has read
            // the job id) is kept and replayed, so the listener sees every stage in order.
            public void Progress(JobProgress p, IReconLogger log)
            {
                lock (_lock)
                {
                    if (Done.Task.IsCompleted) return;
                    if (_onProgress == null)
                    {
                        if (_early.Count < 64) _early.Add(p);
                        return;
                    }
                    Invoke(_onProgress, p, log);
                }
            }

            public void Listen(Action<JobProgress> onProgress, IReconLogger log)
            {
                lock (_lock)
                {
                    _onProgress = onProgress;
                    foreach (var p in _early) Invoke(onProgress, p, log);
                    _early.Clear();
                }
            }

            private static void Invoke(Action<JobProgress> f, JobProgress p, IReconLogger log)
            {
                try
                {
                    f(p);
                }
                catch (Exception e)
                {
                    log.Log(LogLevel.Error, "A progress callback threw: " + e);
                }
            }
        }

        private JobTracker TrackerFor(string jobId)
        {
            lock (_gate)
            {
                JobTracker t;
                if (!_jobs.TryGetValue(jobId, out t))
                {
                    t = new JobTracker(jobId);
                    _jobs[jobId] = t;
                    if (_jobs.Count > 256)
                    {
                        // Bounded: forget the least recently seen jobs nobody waits for (other clients' jobs).
                        foreach (var old in _jobs.Values.Where(x => x.Watchers == 0 && x != t).OrderBy(x => x.Touched).Take(_jobs.Count - 192).ToList())
                        {
                            _jobs.Remove(old.JobId);
                        }
                    }
                }
                t.Touched = DateTime.UtcNow.Ticks;
                return t;
            }
        }

        private void FailWatchedJobs(Exception error)
        {
            List<JobTracker> watched;
            lock (_gate) watched = _jobs.Values.Where(t => t.Watchers > 0).ToList();
            foreach (var t in watched) t.Done.TrySetException(error);
        }

        /// <summary>Submit a photo; returns the job id at once. Progress and the outcome follow as notifications.</summary>
        public async Task<string> SubmitAsync(ImageInput image, ReconstructOptions options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (image == null) throw new ArgumentNullException("image");
            var sent = await RequestOnConnectionAsync(Methods.Reconstruct, new ReconstructParams { Image = image, Options = options }, cancellationToken).ConfigureAwait(false);
            var connection = sent.Key;
            var jobId = (string)sent.Value["jobId"];
            if (string.IsNullOrEmpty(jobId)) throw ReconDaemonException.Client(ErrorCodes.ProtocolError, "recon.reconstruct answered without a jobId", "");
            var t = TrackerFor(jobId);
            lock (_gate) t.OwnerGeneration = connection.Generation;
            return jobId;
        }

        /// <summary>
        /// Wait for a job's outcome: its JobResult, or a ReconDaemonException (NO_FACE, REQUEST_CANCELLED, …).
        /// Works for jobs submitted by this client, by an earlier connection (after a reconnect or an editor
        /// reload) or by another client: the client then subscribes to job events and asks jobs.list whether the
        /// job has already ended. Cancelling <paramref name="cancellationToken"/> stops waiting, not the job.
        /// </summary>
        public async Task<JobResult> WaitForJobAsync(string jobId, Action<JobProgress> onProgress = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            var t = TrackerFor(jobId);
            bool sync;
            lock (_gate)
            {
                t.Watchers++;
                sync = _state == ConnectionState.Connected && t.OwnerGeneration != _generation;
            }
            if (onProgress != null) t.Listen(onProgress, _log);
            try
            {
                if (sync) await SyncJobAsync(t).ConfigureAwait(false);
                if (cancellationToken.CanBeCanceled)
                {
                    var stop = NewTcs<bool>();
                    using (cancellationToken.Register(() => stop.TrySetResult(true)))
                    {
                        await Task.WhenAny(t.Done.Task, stop.Task).ConfigureAwait(false);
                    }
                    cancellationToken.ThrowIfCancellationRequested();
                }
                return await t.Done.Task.ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                {
                    t.Watchers--;
                    JobTracker current;
                    if (t.Watchers == 0 && t.Done.Task.IsCompleted && _jobs.TryGetValue(jobId, out current) && current == t) _jobs.Remove(jobId);
                }
            }
        }

        /// <summary>
        /// Submit a photo and wait for the outcome. Cancelling <paramref name="cancellationToken"/> sends
        /// job.cancel; the task then fails with REQUEST_CANCELLED (or completes, if the job was already writing
        /// its last file).
        /// </summary>
        public async Task<JobResult> ReconstructAsync(ImageInput image, ReconstructOptions options = null, Action<JobProgress> onProgress = null,
            CancellationToken cancellationToken = default(CancellationToken), Action<string> onJobId = null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // The submission itself is not cancellable half-way: a job the daemon created must be cancelled by id.
            var jobId = await SubmitAsync(image, options, CancellationToken.None).ConfigureAwait(false);
            if (onJobId != null) onJobId(jobId);
            using (cancellationToken.Register(() => CancelQuietly(jobId)))
            {
                return await WaitForJobAsync(jobId, onProgress).ConfigureAwait(false);
            }
        }

        private void CancelQuietly(string jobId)
        {
            CancelJobAsync(jobId).ContinueWith(t =>
            {
                if (t.IsFaulted) _log.Log(LogLevel.Warning, "Could not cancel job " + jobId + ": " + t.Exception.GetBaseException().Message);
            }, TaskScheduler.Default);
        }

        /// <summary>Cancel a queued or running job (any client's). Unknown id: JOB_NOT_FOUND.</summary>
        public Task<JobCancelResult> CancelJobAsync(string jobId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RequestAsync<JobCancelResult>(Methods.JobCancel, new JObject { { "jobId", jobId } }, cancellationToken);
        }

        /// <summary>This connection's jobs, or every job the daemon remembers (<paramref name="all"/>).</summary>
        public async Task<JobInfo[]> ListJobsAsync(bool all = false, CancellationToken cancellationToken = default(CancellationToken))
        {
            var r = await RequestAsync<JobsListResult>(Methods.JobsList, new JObject { { "all", all } }, cancellationToken).ConfigureAwait(false);
            return r.Jobs ?? new JobInfo[0];
        }

        /// <summary>One output file of a job as bytes (result.read), for daemons on another machine.</summary>
        public async Task<byte[]> ReadResultAsync(string jobId, string path, CancellationToken cancellationToken = default(CancellationToken))
        {
            var r = await RequestAsync<ResultReadResult>(Methods.ResultRead, new JObject { { "jobId", jobId }, { "path", path } }, cancellationToken).ConfigureAwait(false);
            return Convert.FromBase64String(r.Data ?? "");
        }

        /// <summary>
        /// Receive notifications of every job, not only this client's (replaces the previous subscription).
        /// The client keeps the subscription across reconnects.
        /// </summary>
        public async Task<string[]> SubscribeAsync(IEnumerable<string> events, CancellationToken cancellationToken = default(CancellationToken))
        {
            lock (_gate) _userEvents = (events ?? new string[0]).Distinct().ToArray();
            var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await SendSubscribeAsync(connection, CurrentSubscription()).ConfigureAwait(false);
        }

        private string[] CurrentSubscription()
        {
            lock (_gate)
            {
                return _jobEventsNeeded ? _userEvents.Union(Notifications.JobEvents).ToArray() : _userEvents;
            }
        }

        private async Task<string[]> SendSubscribeAsync(Connection connection, string[] events)
        {
            var r = await SendRequestAsync(connection, Methods.EventsSubscribe, new JObject { { "events", new JArray(events.Cast<object>().ToArray()) } },
                _options.RequestTimeout, CancellationToken.None).ConfigureAwait(false);
            var list = r["events"] as JArray;
            return list == null ? new string[0] : list.ToObject<string[]>();
        }

        // Learn the state of a job this connection did not submit: subscribe to job events first (so nothing that
        // happens from now on is missed), then ask jobs.list what already happened.
        private async Task SyncJobAsync(JobTracker t)
        {
            try
            {
                lock (_gate) _jobEventsNeeded = true;
                var connection = await GetConnectionAsync(CancellationToken.None).ConfigureAwait(false);
                await SendSubscribeAsync(connection, CurrentSubscription()).ConfigureAwait(false);
                var jobs = await ListJobsAsync(true).ConfigureAwait(false);
                var info = jobs.FirstOrDefault(j => j.JobId == t.JobId);
                if (info == null)
                {
                    // Not in the daemon's memory (it restarted): its folder may still say how the job ended.
                    var json = await TryReadResultJsonAsync(t.JobId).ConfigureAwait(false);
                    var root = Endpoint != null && Endpoint.Info != null ? Endpoint.Info.OutputRoot : null;
                    string dir = root == null ? null : root.TrimEnd('/', '\\') + "/" + t.JobId;
                    if (json != null) ResolveFromResultJson(t, dir, json);
                    else t.Done.TrySetException(ReconDaemonException.Client(ErrorCodes.JobNotFound, "recon-daemon does not know job " + t.JobId,
                        "The daemon may have restarted before the job finished; run the reconstruction again."));
                    return;
                }
                switch (info.State)
                {
                    case JobStates.Completed:
                    {
                        var json = await TryReadResultJsonAsync(t.JobId).ConfigureAwait(false);
                        ResolveFromResultJson(t, info.Dir, json ?? new JObject());
                        break;
                    }
                    case JobStates.Failed:
                    case JobStates.Cancelled:
                        t.Done.TrySetException(info.Error != null
                            ? ReconDaemonException.FromErrorObject(info.Error)
                            : new ReconDaemonException(RpcCodes.RequestCancelled, ErrorCodes.RequestCancelled, "Job " + t.JobId + " was cancelled", ""));
                        break;
                    default:
                        if (info.Fraction.HasValue)
                        {
                            t.Progress(new JobProgress { JobId = t.JobId, Stage = info.Stage ?? info.State, Fraction = info.Fraction.Value }, _log);
                        }
                        break;
                }
            }
            catch (Exception e)
            {
                // Not definitive (the connection dropped again?): the next connection retries.
                _log.Log(LogLevel.Warning, "Could not look up job " + t.JobId + ": " + e.Message);
            }
        }

        private async Task<JObject> TryReadResultJsonAsync(string jobId)
        {
            try
            {
                var bytes = await ReadResultAsync(jobId, "result.json").ConfigureAwait(false);
                return JObject.Parse(System.Text.Encoding.UTF8.GetString(bytes));
            }
            catch (ReconDaemonException)
            {
                return null;
            }
        }

        private static void ResolveFromResultJson(JobTracker t, string dir, JObject json)
        {
            var error = json["error"] as JObject;
            if (error != null)
            {
                // result.json's error: {code: "NO_FACE", message, hint}
                var code = (string)error["code"] ?? "";
                bool cancelled = code == "CANCELLED" || code == ErrorCodes.RequestCancelled;
                t.Done.TrySetException(new ReconDaemonException(cancelled ? RpcCodes.RequestCancelled : RpcCodes.RequestFailed,
                    cancelled ? ErrorCodes.RequestCancelled : code, (string)error["message"] ?? code, (string)error["hint"] ?? ""));
                return;
            }
            t.Done.TrySetResult(JobResult.FromResultJson(t.JobId, dir, json));
        }

        // ----------------------------------------------------------------------------------------------------
        // Plugin commands and daemon methods

        /// <summary>Commands contributed by the daemon's plugins. Daemons older than the plugin host: METHOD_NOT_FOUND.</summary>
        public async Task<PluginCommand[]> ListCommandsAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            var r = await RequestAsync<CommandsListResult>(Methods.CommandsList, new JObject(), cancellationToken).ConfigureAwait(false);
            return r.Commands ?? new PluginCommand[0];
        }

        /// <summary>Run a plugin command with optional arguments; returns whatever the command returns (null when nothing).</summary>
        public Task<JToken> ExecuteCommandAsync(string command, JArray args = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            var p = new JObject { { "command", command } };
            if (args != null) p["args"] = args;
            return RequestAsync(Methods.CommandsExecute, p, cancellationToken);
        }

        public Task<DaemonStatus> GetStatusAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return RequestAsync<DaemonStatus>(Methods.DaemonStatus, new JObject(), cancellationToken);
        }

        public async Task<double> PingAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            var r = await RequestAsync(Methods.Ping, new JObject(), cancellationToken).ConfigureAwait(false);
            return r.Value<double>("time");
        }

        /// <summary>Ask the daemon to stop gracefully (daemon.shutdown).</summary>
        public Task<JToken> ShutdownDaemonAsync(int? graceMs = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            var p = new JObject();
            if (graceMs.HasValue) p["graceMs"] = graceMs.Value;
            return RequestAsync(Methods.DaemonShutdown, p, cancellationToken);
        }

        // ----------------------------------------------------------------------------------------------------

        private void SetState(ConnectionState state)
        {
            lock (_gate)
            {
                if (_state == state) return;
                if (_closed && state != ConnectionState.Closed) return; // closed: only ConnectAsync reopens
                var previous = _state;
                _state = state;
                if (state == ConnectionState.Connected) _connected.TrySetResult(true);
                else if (previous == ConnectionState.Connected) _connected = NewTcs<bool>();
            }
            Raise(StateChanged, state);
        }

        private void Raise<T>(Action<T> handler, T arg)
        {
            if (handler == null) return;
            try
            {
                handler(arg);
            }
            catch (Exception e)
            {
                _log.Log(LogLevel.Error, "An event handler threw: " + e);
            }
        }

        private void Raise<T1, T2>(Action<T1, T2> handler, T1 a, T2 b)
        {
            if (handler == null) return;
            try
            {
                handler(a, b);
            }
            catch (Exception e)
            {
                _log.Log(LogLevel.Error, "An event handler threw: " + e);
            }
        }
    }
}
