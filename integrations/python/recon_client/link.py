# A long-lived connection to the daemon for the UI: connects on a background thread, reconnects with
# exponential backoff when the daemon restarts (re-reading the discovery and token files each time, since a
# restarted daemon may have a new port), optionally starts the daemon, and keeps the plugin command list.
# The UI reads ``snapshot()`` from the main thread; nothing here blocks the caller except get_client(timeout).
import threading
import time

from . import errors, host
from .client import ReconClient
from .discovery import is_loopback_url, resolve_endpoint, start_daemon
from .errors import ReconError

DISCONNECTED = "DISCONNECTED"
CONNECTING = "CONNECTING"
CONNECTED = "CONNECTED"
STOPPED = "STOPPED"


class LinkSettings(object):
    __slots__ = ("url", "token", "auto_start", "cli_path", "request_timeout", "env", "allow_remote")

    def __init__(self, url="", token="", auto_start=False, cli_path="", request_timeout=10.0, env=None, allow_remote=True):
        self.allow_remote = allow_remote  # False: Blender's "Allow Online Access" is off; only this machine
        self.url = url
        self.token = token
        self.auto_start = auto_start
        self.cli_path = cli_path
        self.request_timeout = request_timeout
        self.env = env


class DaemonLink(object):
    def __init__(self, settings_fn, client_name="recon_client", client_version="0.1.0",
                 on_change=None, on_notification=None, backoff_initial=0.5, backoff_max=15.0,
                 connect_timeout=3.0, auto_start_interval=60.0):
        self.settings_fn = settings_fn
        self.client_name = client_name
        self.client_version = client_version
        self.on_change = on_change
        self.on_notification = on_notification
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.connect_timeout = connect_timeout
        self.auto_start_interval = auto_start_interval
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread = None
        self._client = None
        self.state = STOPPED
        self.error = None
        self.url = ""
        self.server_version = ""
        self.commands = []
        self.attempts = 0
        self.next_retry_at = None
        self._last_auto_start = 0.0
        # Connection attempts are numbered; _failed_attempt is the number of the last one that failed. A caller
        # waiting for a connection gives up as soon as an attempt that began after its call has failed.
        self._attempt = 0
        self._failed_attempt = 0

    # -- lifecycle (main thread)

    def start(self):
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop.clear()
        self._set(CONNECTING)
        self._thread = threading.Thread(target=self._run, name="recon-link", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=3.0):
        self._stop.set()
        self._wake.set()
        c = self._client
        if c is not None:
            try:
                c.close()
            except Exception:
                pass
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        self._set(STOPPED)

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def reconnect(self):
        """Drop the current connection (if any) and connect again now, e.g. after the preferences changed."""
        c = self._client
        if c is not None:
            try:
                c.close()
            except Exception:
                pass
        self.wake()

    def wake(self):
        """Retry now instead of waiting out the backoff."""
        self._wake.set()

    def snapshot(self):
        with self._lock:
            return {
                "state": self.state, "error": self.error, "url": self.url, "server_version": self.server_version,
                "commands": list(self.commands), "attempts": self.attempts, "next_retry_at": self.next_retry_at,
            }

    # -- for workers (any thread but the main one)

    def get_client(self, timeout=5.0):
        """The connected client. Otherwise it asks for a connection attempt now (not after the backoff) and
        waits for its outcome — at most ``timeout`` — then raises the connection error: DAEMON_NOT_RUNNING
        ("daemon not running: run `recon-daemon start`") when nothing answered. With nothing listening on
        this machine that takes milliseconds, not the whole timeout."""
        c = self._client
        if c is not None and not c.closed:
            return c
        with self._lock:
            called_at = self._attempt
        if not self.running:
            self.start()
        self.wake()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self._connected.wait(0.02):
                c = self._client
                if c is not None and not c.closed:
                    return c
            with self._lock:
                if self._failed_attempt > called_at:
                    break  # an attempt made after this call failed: waiting longer would not help
        err = self.error
        if isinstance(err, ReconError) and err.code != errors.DAEMON_NOT_RUNNING:
            raise ReconError(err.message, err.code, err.hint, err.rpc_code, dict(err.details))
        raise errors.daemon_not_running(err.message if isinstance(err, ReconError) else None)

    def refresh_commands(self):
        c = self._client
        if c is None:
            return []
        try:
            cmds = c.list_commands()
        except ReconError:
            cmds = []
        with self._lock:
            self.commands = cmds
        self._changed()
        return cmds

    # -- the thread

    def _set(self, state, error=None, **extra):
        with self._lock:
            self.state = state
            self.error = error
            for k, v in extra.items():
                setattr(self, k, v)
        if state == CONNECTED:
            self._connected.set()
        else:
            self._connected.clear()
        self._changed()

    def _changed(self):
        if self.on_change:
            try:
                self.on_change()
            except Exception:
                pass

    def _run(self):
        backoff = self.backoff_initial
        while not self._stop.is_set():
            self._wake.clear()
            settings = self.settings_fn()
            with self._lock:
                self.attempts += 1
                self._attempt += 1
                attempt = self._attempt
                self.next_retry_at = None
            self._set(CONNECTING, self.error)
            try:
                ep = resolve_endpoint(settings.url or None, settings.token or None, settings.env)
                with self._lock:
                    self.url = ep.url
                if not ep.local and not settings.allow_remote:
                    raise errors.online_access_disabled(ep.url)
                client = ReconClient.connect(endpoint=ep, timeout=self.connect_timeout,
                                             request_timeout=settings.request_timeout,
                                             client_name=self.client_name, client_version=self.client_version)
            except ReconError as e:
                started, e = self._maybe_auto_start(settings, e)
                if started:
                    continue
                with self._lock:
                    self.next_retry_at = time.time() + backoff
                    self._failed_attempt = attempt
                self._set(DISCONNECTED, e)
                self._wake.wait(backoff)
                backoff = min(backoff * 2, self.backoff_max)
                continue
            except Exception as e:  # a bug: report it and keep trying
                with self._lock:
                    self._failed_attempt = attempt
                self._set(DISCONNECTED, ReconError(str(e), "INTERNAL_ERROR", "This is a bug in %s." % host.text("client")))
                self._wake.wait(backoff)
                backoff = min(backoff * 2, self.backoff_max)
                continue
            backoff = self.backoff_initial
            self._client = client
            remove = client.add_listener(self._forward)
            self._set(CONNECTED, None, server_version=client.server_version, url=client.url, attempts=0)
            self.refresh_commands()
            while not self._stop.is_set() and not client.closed:
                client.rpc.closed.wait(0.25)
            remove()
            self._client = None
            if self._stop.is_set():
                try:
                    client.close()
                except Exception:
                    pass
                break
            why = client.rpc.close_reason or "closed"
            with self._lock:
                self.commands = []
            self._set(DISCONNECTED, ReconError("connection lost (%s)" % why, errors.CONNECTION_LOST,
                                               "Reconnecting… If the daemon was stopped, run `recon-daemon start`."))
            # Reconnect quickly once, then back off (a restarting daemon needs a moment to listen again).
            self._wake.wait(self.backoff_initial)

    def _maybe_auto_start(self, settings, err):
        """(True, err) when the daemon was started (connect again now); else (False, the error to show: why
        starting failed, or ``err``)."""
        if err.code != errors.DAEMON_NOT_RUNNING or not settings.auto_start:
            return False, err
        if settings.url and not is_loopback_url(settings.url):
            return False, err
        now = time.monotonic()
        if self._last_auto_start and now - self._last_auto_start < self.auto_start_interval:
            return False, err
        self._last_auto_start = now
        self._set(CONNECTING, ReconError("starting recon-daemon…", errors.DAEMON_NOT_RUNNING, ""))
        try:
            start_daemon(settings.cli_path, settings.env)
        except ReconError as e:
            return False, e
        return True, err

    def _forward(self, method, params):
        if self.on_notification and not method.startswith("$/"):
            try:
                self.on_notification(method, params)
            except Exception:
                pass
