# JSON-RPC 2.0 over one WebSocket: one message per text frame, requests matched to responses by id,
# notifications handed to listeners. A reader thread owns the socket's receiving side; callers on any thread
# send requests and wait on their own PendingRequest. Nothing here knows about an editor.
import itertools
import json
import socket
import threading
import time

from . import errors
from .errors import ReconError
from .websocket import CLOSE_ABNORMAL, ConnectionClosed, WebSocketError

#: How long the reader blocks in recv() before it looks at its keep-alive clock.
_POLL = 0.5


def encode_request(id_, method, params=None):
    msg = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        msg["params"] = params
    return json.dumps(msg, separators=(",", ":"), ensure_ascii=False)


def encode_notification(method, params=None):
    msg = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        msg["params"] = params
    return json.dumps(msg, separators=(",", ":"), ensure_ascii=False)


def classify(message):
    """One decoded JSON-RPC message → ("response", id, result, error) | ("notification", method, params) |
    ("request", id, method, params) | ("invalid", reason)."""
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return ("invalid", "not a JSON-RPC 2.0 object")
    if "method" in message:
        if not isinstance(message["method"], str):
            return ("invalid", "method is not a string")
        if "id" in message and message["id"] is not None:
            return ("request", message["id"], message["method"], message.get("params"))
        return ("notification", message["method"], message.get("params"))
    if "id" in message and ("result" in message or "error" in message):
        return ("response", message["id"], message.get("result"), message.get("error"))
    return ("invalid", "neither a request, a notification nor a response")


def decode_messages(text):
    """A text frame → a list of message dicts (a batch is a JSON array). Raises ValueError on bad JSON."""
    data = json.loads(text)
    return data if isinstance(data, list) else [data]


class PendingRequest(object):
    """A request in flight. ``wait(timeout)`` returns the result or raises ReconError."""

    __slots__ = ("id", "method", "_event", "_result", "_error", "sent_at")

    def __init__(self, id_, method):
        self.id = id_
        self.method = method
        self._event = threading.Event()
        self._result = None
        self._error = None
        self.sent_at = time.monotonic()

    def resolve(self, result):
        self._result = result
        self._event.set()

    def reject(self, error):
        self._error = error
        self._event.set()

    @property
    def done(self):
        return self._event.is_set()

    def wait(self, timeout=None):
        if not self._event.wait(timeout):
            raise ReconError(
                "no answer from recon-daemon to %s within %g s: %s" % (self.method, timeout, errors.DAEMON_NOT_RUNNING_MESSAGE),
                errors.NO_ANSWER,
                "The daemon may be stuck or gone: check `recon-daemon status`, or restart it with `recon-daemon restart`.",
            )
        if self._error is not None:
            raise self._error
        return self._result


class RpcConnection(object):
    """JSON-RPC over a connected ``websocket.WebSocket``. Call ``start()`` to begin reading.

    - ``request(method, params)`` → PendingRequest; ``call(method, params, timeout)`` waits for it.
    - ``add_listener(fn)``: ``fn(method, params)`` for every notification, on the reader thread; returns a
      function that removes it.
    - When the socket closes, every pending request fails with CONNECTION_LOST and ``closed`` is set.
    - ``ping_interval``: if nothing arrives for that long the reader pings; if the pong does not come within
      another interval the connection is considered dead and closed (a daemon that froze or vanished without
      closing the socket)."""

    def __init__(self, ws, ping_interval=15.0, name="recon-rpc"):
        self.ws = ws
        self.ping_interval = ping_interval
        self.name = name
        self._ids = itertools.count(1)
        self._pending = {}
        self._lock = threading.Lock()
        self._listeners = []
        self.closed = threading.Event()
        self.close_code = None
        self.close_reason = ""
        self._thread = None

    # -- lifecycle

    def start(self):
        self._thread = threading.Thread(target=self._read_loop, name=self.name, daemon=True)
        self._thread.start()
        return self

    def close(self, timeout=2.0):
        """Close handshake, then wait for the reader to finish."""
        if not self.closed.is_set():
            try:
                self.ws.close(timeout=timeout)
            except (OSError, WebSocketError):
                self.ws.abort()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._finish(self.ws.close_code or 1000, self.ws.close_reason or "closed by the client")

    def abort(self):
        self.ws.abort()

    # -- sending

    def request(self, method, params=None):
        id_ = next(self._ids)
        pending = PendingRequest(id_, method)
        with self._lock:
            if self.closed.is_set():
                pending.reject(self.lost_error())
                return pending
            self._pending[id_] = pending
        try:
            self.ws.send_text(encode_request(id_, method, params))
        except (ConnectionClosed, OSError) as e:
            with self._lock:
                self._pending.pop(id_, None)
            pending.reject(self.lost_error(str(e)))
        return pending

    def call(self, method, params=None, timeout=10.0):
        return self.request(method, params).wait(timeout)

    def notify(self, method, params=None):
        self.ws.send_text(encode_notification(method, params))

    def add_listener(self, fn):
        with self._lock:
            self._listeners.append(fn)

        def remove():
            with self._lock:
                if fn in self._listeners:
                    self._listeners.remove(fn)

        return remove

    # -- reading

    def _read_loop(self):
        last_rx = time.monotonic()
        ping_sent_at = None
        pongs = self.ws.pongs
        code, reason = CLOSE_ABNORMAL, ""
        try:
            self.ws.settimeout(_POLL)
            while True:
                try:
                    _opcode, payload = self.ws.recv()
                except socket.timeout:
                    now = time.monotonic()
                    if self.ws.pongs != pongs:
                        pongs, ping_sent_at, last_rx = self.ws.pongs, None, now
                    if self.ping_interval and ping_sent_at is None and now - last_rx > self.ping_interval:
                        self.ws.ping(b"recon")
                        ping_sent_at = now
                    elif ping_sent_at is not None and now - ping_sent_at > self.ping_interval:
                        code, reason = CLOSE_ABNORMAL, "no pong from the daemon within %g s" % self.ping_interval
                        self.ws.abort()
                        break
                    continue
                last_rx, ping_sent_at = time.monotonic(), None
                self._dispatch(payload)
        except ConnectionClosed as e:
            code, reason = e.code, e.reason
        except (WebSocketError, OSError) as e:
            code, reason = CLOSE_ABNORMAL, str(e)
            self.ws.abort()
        self._finish(code, reason)

    def _dispatch(self, payload):
        try:
            messages = decode_messages(payload.decode("utf-8"))
        except ValueError:
            return  # Not JSON: nothing to answer to (the daemon never sends this).
        for message in messages:
            kind = classify(message)
            if kind[0] == "response":
                with self._lock:
                    pending = self._pending.pop(kind[1], None)
                if pending is None:
                    continue
                if kind[3] is not None:
                    pending.reject(ReconError.from_rpc(kind[3]))
                else:
                    pending.resolve(kind[2])
            elif kind[0] == "notification":
                with self._lock:
                    listeners = list(self._listeners)
                for fn in listeners:
                    try:
                        fn(kind[1], kind[2] if kind[2] is not None else {})
                    except Exception as e:  # A listener's bug must not kill the reader.
                        print("recon_client: notification listener failed: %r" % (e,))
            elif kind[0] == "request":
                # The daemon does not call clients; answer politely so it never waits.
                try:
                    self.ws.send_text(json.dumps({
                        "jsonrpc": "2.0", "id": kind[1],
                        "error": {"code": -32601, "message": "This client does not answer %s" % kind[2]},
                    }))
                except (ConnectionClosed, OSError):
                    pass

    def lost_error(self, detail=None):
        why = detail or self.close_reason or ""
        msg = "the connection to recon-daemon was lost" + (" (%s)" % why if why else "")
        return ReconError(msg, errors.CONNECTION_LOST, "If the daemon was restarted, try again; otherwise run `recon-daemon start`.",
                          details={"closeCode": self.close_code})

    def _finish(self, code, reason):
        with self._lock:
            if self.closed.is_set():
                return
            self.close_code = code
            self.close_reason = reason
            pending = list(self._pending.values())
            self._pending.clear()
            self.closed.set()
            listeners = list(self._listeners)
        for p in pending:
            p.reject(self.lost_error())
        for fn in listeners:
            try:
                fn("$/closed", {"code": code, "reason": reason})
            except Exception:
                pass
