# The daemon's protocol from Python (docs/protocol.md): connect with the token, `initialize`, then the typed
# calls. Method names live here once, as src/rpc/protocol.ts declares them.
import base64
import socket

from . import errors, host
from .discovery import resolve_endpoint
from .errors import ReconError
from .jsonrpc import RpcConnection
from .websocket import HandshakeError, WebSocket, WebSocketError

PROTOCOL_VERSION = "1.0"

# Requests (src/rpc/protocol.ts `Requests`).
INITIALIZE = "initialize"
RECONSTRUCT = "recon.reconstruct"
JOB_CANCEL = "job.cancel"
JOBS_LIST = "jobs.list"
RESULT_READ = "result.read"
EVENTS_SUBSCRIBE = "events.subscribe"
DAEMON_STATUS = "daemon.status"
DAEMON_SHUTDOWN = "daemon.shutdown"
PING = "ping"
# Plugin host (issue 5): listed in `capabilities.methods` when the daemon has them.
COMMANDS_LIST = "commands.list"
COMMANDS_EXECUTE = "commands.execute"

# Notifications (daemon → client).
JOB_PROGRESS = "job.progress"
JOB_COMPLETED = "job.completed"
JOB_FAILED = "job.failed"
DAEMON_SHUTTING_DOWN = "daemon.shuttingDown"
#: Pseudo-notification the RPC layer emits when the socket closes.
CLOSED = "$/closed"


class ReconClient(object):
    """One initialized connection. Create with ``ReconClient.connect(...)``; close with ``close()``."""

    def __init__(self, rpc, endpoint, init_result, request_timeout=10.0):
        self.rpc = rpc
        self.endpoint = endpoint
        self.url = endpoint.url
        self.init = init_result
        self.request_timeout = request_timeout
        caps = init_result.get("capabilities") or {}
        self.methods = set(caps.get("methods") or [])
        self.limits = caps.get("limits") or {}
        self.server_version = (init_result.get("serverInfo") or {}).get("version", "?")
        self.client_id = init_result.get("clientId")

    # -- connecting

    @classmethod
    def connect(cls, url=None, token=None, env=None, timeout=5.0, request_timeout=10.0,
                client_name="recon_client", client_version="0.1.0", endpoint=None, ping_interval=15.0):
        """Resolve the endpoint (explicit url/token, else the discovery and token files), connect, initialize.

        Raises ReconError: DAEMON_NOT_RUNNING when nothing answers, UNAUTHORIZED / ORIGIN_NOT_ALLOWED / … when the
        daemon refuses the upgrade, UNSUPPORTED_PROTOCOL_VERSION when the major versions differ."""
        ep = endpoint or resolve_endpoint(url, token, env)
        headers = {}
        if ep.token:
            headers["Authorization"] = "Bearer " + ep.token
        try:
            ws = WebSocket.connect(ep.url, headers=headers, timeout=timeout)
        except HandshakeError as e:
            if e.error:
                err = ReconError.from_rpc(e.error)
                if err.code == "UNAUTHORIZED" and not ep.token:
                    err.hint = ("No token was found: %s reads it from %s when the daemon runs on this machine; otherwise "
                                "set it in %s." % (host.text("client"), ep.token_source or "the daemon's token file", host.text("settings")))
                raise err
            raise ReconError("recon-daemon refused the connection: %s" % e, "HANDSHAKE_FAILED",
                             "Is something other than recon-daemon listening at %s?" % ep.url)
        except (ConnectionRefusedError, socket.timeout, TimeoutError) as e:
            raise errors.daemon_not_running("%s: %s" % (ep.url, e))
        except (OSError, WebSocketError) as e:
            raise errors.daemon_not_running("%s: %s" % (ep.url, e))
        except ValueError as e:
            raise ReconError("invalid daemon URL: %s" % e, errors.INVALID_OPTION, "Fix the URL in %s, e.g. ws://127.0.0.1:47613/" % host.text("settings"))
        rpc = RpcConnection(ws, ping_interval=ping_interval).start()
        try:
            init = rpc.call(INITIALIZE, {
                "clientInfo": {"name": client_name, "version": client_version},
                "protocolVersion": PROTOCOL_VERSION,
            }, timeout=request_timeout)
        except BaseException:
            rpc.abort()
            raise
        return cls(rpc, ep, init, request_timeout)

    @property
    def local(self):
        """The daemon runs on this machine (loopback URL): photos go by path, results are read from its folder."""
        return self.endpoint.local

    @property
    def closed(self):
        return self.rpc.closed.is_set()

    def close(self):
        self.rpc.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- calls

    def call(self, method, params=None, timeout=None):
        return self.rpc.call(method, params if params is not None else {}, timeout or self.request_timeout)

    def add_listener(self, fn):
        return self.rpc.add_listener(fn)

    def ping(self):
        return self.call(PING)

    def status(self):
        return self.call(DAEMON_STATUS)

    def start_reconstruct(self, image, options=None):
        """``image`` is {"path": abs} or {"data": base64}; returns the job id at once."""
        params = {"image": image}
        if options:
            params["options"] = options
        return self.call(RECONSTRUCT, params)["jobId"]

    def cancel(self, job_id):
        return self.call(JOB_CANCEL, {"jobId": job_id})

    def read_file(self, job_id, path):
        """An output file of a job, as bytes (result.read)."""
        r = self.call(RESULT_READ, {"jobId": job_id, "path": path}, timeout=max(self.request_timeout, 60.0))
        return base64.b64decode(r["data"])

    def has(self, method):
        return method in self.methods

    def list_commands(self):
        """Plugin commands as [{command, title, …}] — [] when the daemon has no plugin host."""
        if not self.has(COMMANDS_LIST):
            return []
        r = self.call(COMMANDS_LIST)
        items = r.get("commands", []) if isinstance(r, dict) else r
        out = []
        for c in items or []:
            if isinstance(c, dict) and isinstance(c.get("command"), str):
                out.append({"command": c["command"], "title": str(c.get("title") or c["command"]),
                            "category": c.get("category"), "plugin": c.get("plugin") or c.get("pluginId")})
        return out

    def execute_command(self, command, args=None, timeout=None):
        if not self.has(COMMANDS_EXECUTE):
            raise ReconError("this daemon has no plugin commands", "METHOD_NOT_FOUND", "Update recon-daemon to a version with plugins.")
        return self.call(COMMANDS_EXECUTE, {"command": command, "args": list(args or [])}, timeout=timeout or max(self.request_timeout, 30.0))
