# One exception for everything the client reports: the daemon's errors (JSON-RPC error objects, job.failed)
# and the client's own (no daemon, no answer, lost connection, a failed quality verdict). Every one has a
# stable string ``code``, a ``message`` and a ``hint`` for the user, like the daemon's error table
# (docs/protocol.md#errors).

from . import host

#: The sentence the user sees when nothing answers. Keep it short: it goes into a status-bar report. Its hint
#: says what the message does not, in the host application's words (host.py: the Blender add-on's Start Daemon,
#: Maya's Face Recon menu, the command line's --start).
DAEMON_NOT_RUNNING_MESSAGE = "daemon not running: run `recon-daemon start`"

# Client-side codes (the daemon's own codes pass through unchanged).
DAEMON_NOT_RUNNING = "DAEMON_NOT_RUNNING"   # nothing listens, or the handshake got no answer
NO_ANSWER = "NO_ANSWER"                     # connected, but a request got no answer in time
CONNECTION_LOST = "CONNECTION_LOST"         # the connection dropped while waiting
TIMEOUT = "TIMEOUT"                         # the job did not finish within the caller's timeout
QUALITY_FAILED = "QUALITY_FAILED"           # fallback code for a fail verdict without a failing check
MISSING_OUTPUT = "MISSING_OUTPUT"           # the job completed without a file we need
SCENE_BUILD_FAILED = "SCENE_BUILD_FAILED"   # the editor refused something while building the scene
CANCELLED = "REQUEST_CANCELLED"             # the daemon's code, also used when the user cancels
FILE_NOT_FOUND = "FILE_NOT_FOUND"           # the daemon's code, also raised before sending a missing photo
INVALID_OPTION = "INVALID_OPTION"           # the daemon's code, also for options refused client-side
ONLINE_ACCESS_DISABLED = "ONLINE_ACCESS_DISABLED"  # Blender 4.2+ "Allow Online Access" is off and the URL is remote


class ReconError(Exception):
    """An error with the daemon's (or the client's) stable ``code``, a ``message`` and a ``hint``.

    ``rpc_code`` is the JSON-RPC number when the daemon sent one; ``details`` any extra ``data`` fields."""

    def __init__(self, message, code="INTERNAL_ERROR", hint="", rpc_code=None, details=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint or ""
        self.rpc_code = rpc_code
        self.details = details or {}

    @classmethod
    def from_rpc(cls, error):
        """From a JSON-RPC error object ``{code, message, data: {code, hint, …}}`` (a response or job.failed)."""
        if not isinstance(error, dict):
            return cls(str(error), "INTERNAL_ERROR")
        data = error.get("data") if isinstance(error.get("data"), dict) else {}
        details = {k: v for k, v in data.items() if k not in ("code", "hint")}
        return cls(
            str(error.get("message") or "The daemon reported an error"),
            str(data.get("code") or _code_for_number(error.get("code"))),
            str(data.get("hint") or ""),
            error.get("code") if isinstance(error.get("code"), int) else None,
            details,
        )

    def user_text(self):
        """``message`` and ``hint`` in one line, the way reports show them."""
        return "%s. %s" % (self.message.rstrip("."), self.hint) if self.hint else self.message

    def __str__(self):
        return "%s: %s" % (self.code, self.user_text())

    def __repr__(self):
        return "ReconError(code=%r, message=%r, hint=%r)" % (self.code, self.message, self.hint)


def daemon_not_running(detail=None):
    message = DAEMON_NOT_RUNNING_MESSAGE
    return ReconError(message, DAEMON_NOT_RUNNING, host.text("not_running_hint"), details={"detail": detail} if detail else None)


def online_access_disabled(url):
    return ReconError(
        "online access is disabled in Blender, so the add-on does not connect to %s" % url,
        ONLINE_ACCESS_DISABLED,
        "Allow it in Preferences > System > Network, or run the daemon on this machine (127.0.0.1).",
    )


# JSON-RPC numbers → string codes, for error objects that lack data.code (docs/protocol.md#protocol-errors).
_NUMBERS = {
    -32700: "PARSE_ERROR",
    -32600: "INVALID_REQUEST",
    -32601: "METHOD_NOT_FOUND",
    -32602: "INVALID_PARAMS",
    -32603: "INTERNAL_ERROR",
    -32001: "SERVER_BUSY",
    -32002: "NOT_INITIALIZED",
    -32003: "UNAUTHORIZED",
    -32004: "JOB_NOT_FOUND",
    -32005: "PATH_NOT_ALLOWED",
    -32006: "UNSUPPORTED_PROTOCOL_VERSION",
    -32007: "SHUTTING_DOWN",
    -32008: "ORIGIN_NOT_ALLOWED",
    -32009: "HOST_NOT_ALLOWED",
    -32800: "REQUEST_CANCELLED",
}


def _code_for_number(n):
    return _NUMBERS.get(n, "INTERNAL_ERROR")
