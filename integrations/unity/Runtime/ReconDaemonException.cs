// Every failure the client reports: the daemon's JSON-RPC errors (numeric code, stable string code in
// data.code, a hint for the user) and the client's own (cannot connect, connection lost, timeout), which use
// the same shape so a caller shows `Message` and `Hint` and switches on `DataCode` either way.
using System;
using Newtonsoft.Json.Linq;

namespace ReconDaemon.Client
{
    /// <summary>Stable string codes (<c>data.code</c>) the client knows. The daemon may add more in minor versions.</summary>
    public static class ErrorCodes
    {
        // From the daemon (docs/protocol.md).
        public const string ParseError = "PARSE_ERROR";
        public const string InvalidRequest = "INVALID_REQUEST";
        public const string MethodNotFound = "METHOD_NOT_FOUND";
        public const string InvalidParams = "INVALID_PARAMS";
        public const string InternalError = "INTERNAL_ERROR";
        public const string ServerBusy = "SERVER_BUSY";
        public const string NotInitialized = "NOT_INITIALIZED";
        public const string Unauthorized = "UNAUTHORIZED";
        public const string JobNotFound = "JOB_NOT_FOUND";
        public const string PathNotAllowed = "PATH_NOT_ALLOWED";
        public const string UnsupportedProtocolVersion = "UNSUPPORTED_PROTOCOL_VERSION";
        public const string ShuttingDown = "SHUTTING_DOWN";
        public const string OriginNotAllowed = "ORIGIN_NOT_ALLOWED";
        public const string HostNotAllowed = "HOST_NOT_ALLOWED";
        public const string RequestCancelled = "REQUEST_CANCELLED";
        public const string NoFace = "NO_FACE";
        public const string FileNotFound = "FILE_NOT_FOUND";
        public const string FileTooLarge = "FILE_TOO_LARGE";

        // Raised by this client (Code 0).
        public const string DaemonNotRunning = "DAEMON_NOT_RUNNING";
        public const string TokenNotFound = "TOKEN_NOT_FOUND";
        public const string ConnectionFailed = "CONNECTION_FAILED";
        public const string ConnectionLost = "CONNECTION_LOST";
        public const string ConnectionClosed = "CONNECTION_CLOSED";
        public const string Timeout = "TIMEOUT";
        public const string ProtocolError = "PROTOCOL_ERROR";
        public const string DaemonStartFailed = "DAEMON_START_FAILED";
    }

    /// <summary>JSON-RPC numeric codes the client switches on.</summary>
    public static class RpcCodes
    {
        public const int MethodNotFound = -32601;
        public const int InvalidParams = -32602;
        public const int RequestCancelled = -32800;
        public const int RequestFailed = -32803;
        /// <summary>Errors raised by the client itself, not the daemon.</summary>
        public const int ClientError = 0;
    }

    public class ReconDaemonException : Exception
    {
        public ReconDaemonException(int code, string dataCode, string message, string hint, JObject data = null, Exception inner = null)
            : base(message, inner)
        {
            Code = code;
            DataCode = dataCode ?? "";
            Hint = hint ?? "";
            ErrorData = data ?? new JObject();
        }

        /// <summary>The JSON-RPC error code (e.g. -32803), or 0 for an error raised by the client.</summary>
        public int Code { get; private set; }

        /// <summary>The stable string code, e.g. <c>NO_FACE</c>, <c>REQUEST_CANCELLED</c>, <c>DAEMON_NOT_RUNNING</c>.</summary>
        public string DataCode { get; private set; }

        /// <summary>One sentence for the user: what to do about it.</summary>
        public string Hint { get; private set; }

        /// <summary>The error's whole <c>data</c> object (code, hint and anything else the daemon sent).</summary>
        public JObject ErrorData { get; private set; }

        /// <summary>True when a job ended because it was cancelled (job.cancel or daemon shutdown).</summary>
        public bool IsCancellation
        {
            get { return Code == RpcCodes.RequestCancelled || DataCode == ErrorCodes.RequestCancelled; }
        }

        /// <summary>True for errors raised by the client (cannot connect, connection lost, timeout).</summary>
        public bool IsClientSide
        {
            get { return Code == RpcCodes.ClientError; }
        }

        /// <summary>Message and hint on two lines, for a dialog.</summary>
        public string ToUserText()
        {
            return string.IsNullOrEmpty(Hint) ? Message : Message + "\n\n" + Hint;
        }

        public override string ToString()
        {
            return GetType().Name + " " + Code + " " + DataCode + ": " + Message + (string.IsNullOrEmpty(Hint) ? "" : " (" + Hint + ")");
        }

        /// <summary>From a JSON-RPC error object <c>{code, message, data: {code, hint, …}}</c>.</summary>
        public static ReconDaemonException FromErrorObject(JToken error)
        {
            var o = error as JObject;
            if (o == null) return Client(ErrorCodes.ProtocolError, "The daemon sent a malformed error: " + (error == null ? "null" : error.ToString()), "");
            var data = o["data"] as JObject ?? new JObject();
            int code = 0;
            var c = o["code"];
            if (c != null && (c.Type == JTokenType.Integer || c.Type == JTokenType.Float)) code = (int)c.Value<double>();
            return new ReconDaemonException(
                code,
                (string)data["code"] ?? "",
                (string)o["message"] ?? "(no message)",
                (string)data["hint"] ?? "",
                data);
        }

        public static ReconDaemonException Client(string dataCode, string message, string hint, Exception inner = null)
        {
            var data = new JObject { { "code", dataCode }, { "hint", hint ?? "" } };
            return new ReconDaemonException(RpcCodes.ClientError, dataCode, message, hint, data, inner);
        }
    }
}
