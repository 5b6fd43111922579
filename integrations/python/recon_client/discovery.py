# Finding the daemon with no configuration, exactly as docs/daemon.md#files describes: the discovery file
# daemon.json (address, pid, token file, output root) under $XDG_RUNTIME_DIR/recon-daemon (else the config
# dir), and the token file $XDG_CONFIG_HOME/recon-daemon/token. Mirrors src/server/paths.ts.
import ipaddress
import json
import os
import shlex
import shutil
import subprocess
import sys
from urllib.parse import urlsplit

from . import errors, host
from .errors import ReconError

DEFAULT_PORT = 47613
DEFAULT_URL = "ws://127.0.0.1:%d/" % DEFAULT_PORT
APP = "recon-daemon"


def _home(env):
    return env.get("HOME") or os.path.expanduser("~")


def _xdg(env, name, fallback):
    v = env.get(name)
    return v if v and os.path.isabs(v) else fallback


def daemon_paths(env=None):
    """The daemon's files for this environment: configDir, runtimeDir, tokenFile, discoveryFile, pidFile."""
    env = os.environ if env is None else env
    h = _home(env)
    config_dir = os.path.join(_xdg(env, "XDG_CONFIG_HOME", os.path.join(h, ".config")), APP)
    runtime_base = _xdg(env, "XDG_RUNTIME_DIR", "")
    runtime_dir = os.path.join(runtime_base, APP) if runtime_base else config_dir
    return {
        "configDir": config_dir,
        "runtimeDir": runtime_dir,
        "tokenFile": os.path.join(config_dir, "token"),
        "discoveryFile": os.path.join(runtime_dir, "daemon.json"),
        "pidFile": os.path.join(runtime_dir, "daemon.pid"),
    }


def pid_alive(pid):
    """True if a process with this pid exists (POSIX kill 0; on Windows the pid is trusted)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    if sys.platform == "win32":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process: not our user's daemon
    except OSError:
        return False
    return True


def read_discovery(env=None, check_pid=True):
    """daemon.json as a dict, or None when it is missing, unreadable, or names a process that is gone."""
    path = daemon_paths(env)["discoveryFile"]
    try:
        with open(path, "r", encoding="utf-8") as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("url"), str) or not isinstance(info.get("pid"), int):
        return None
    if check_pid and not pid_alive(info["pid"]):
        return None
    info["discoveryFile"] = path
    return info


def read_token(path):
    """The token in ``path`` (stripped), or None when the file is missing or empty."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            token = f.read().strip()
    except OSError:
        return None
    return token or None


def is_loopback_url(url):
    """True when the URL's host is this machine (127.0.0.0/8, ::1, localhost): the daemon shares our files."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Endpoint(object):
    """Where to connect and with which token, and where each came from (for the preferences panel)."""

    __slots__ = ("url", "token", "url_source", "token_source", "discovery", "local")

    def __init__(self, url, token, url_source, token_source, discovery):
        self.url = url
        self.token = token
        self.url_source = url_source
        self.token_source = token_source
        self.discovery = discovery
        self.local = is_loopback_url(url)

    def __repr__(self):
        return "Endpoint(url=%r, url_source=%r, token_source=%r)" % (self.url, self.url_source, self.token_source)


def resolve_endpoint(url=None, token=None, env=None):
    """Explicit values win; else the discovery file (a running daemon's address and token file); else the
    default address and the default token file. The token is read only for a daemon on this machine."""
    env = os.environ if env is None else env
    info = read_discovery(env)
    if url:
        resolved_url, url_source = url, "given"
    elif info:
        resolved_url, url_source = info["url"], info["discoveryFile"]
    else:
        resolved_url, url_source = DEFAULT_URL, "default"
    if token:
        return Endpoint(resolved_url, token, url_source, "given", info)
    token_file = info.get("tokenFile") if info and isinstance(info.get("tokenFile"), str) else daemon_paths(env)["tokenFile"]
    if is_loopback_url(resolved_url):
        t = read_token(token_file)
        if t:
            return Endpoint(resolved_url, t, url_source, token_file, info)
    return Endpoint(resolved_url, None, url_source, None, info)


# ---------------------------------------------------------------------------------------------------------
# Starting the daemon

#: Written into the zip by `recon-daemon install-addon blender` (next to the package's __init__.py): the command
#: line of the CLI that built it — node's absolute path and its bin/recon-daemon.js — so that Start Daemon works
#: right after installing from a checkout, `npx` or a global install, where `recon-daemon` may not be on PATH.
INSTALL_INFO = "install.json"


def install_info(package_dir=None):
    """The install-time facts install-addon wrote (``{"cli": "…", "version": "…"}``), or {} (e.g. a symlinked
    development copy, which has no such file)."""
    package_dir = package_dir or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        with open(os.path.join(package_dir, INSTALL_INFO), "r", encoding="utf-8") as f:
            info = json.load(f)
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def default_cli_command(package_dir=None):
    """The command the preferences start with: the one install-addon recorded, else `recon-daemon` (on PATH)."""
    cli = install_info(package_dir).get("cli")
    return cli.strip() if isinstance(cli, str) and cli.strip() else APP


def split_command(command):
    """A command line as the preference holds it → argv. Quoted parts may hold spaces ("/Applications/My
    Tools/node" /x/recon-daemon.js); on Windows backslashes stay as they are."""
    text = (command or "").strip()
    if not text:
        return []
    if os.name == "nt":
        return [part.strip('"') for part in shlex.split(text, posix=False)]
    return shlex.split(text)


def join_command(argv):
    """argv → one command line that split_command reads back."""
    if os.name == "nt":
        return " ".join('"%s"' % a if " " in a else a for a in argv)
    return " ".join(shlex.quote(a) for a in argv)


def _not_found(what, cli):
    return ReconError(
        "cannot start the daemon: %s was not found" % what,
        errors.DAEMON_NOT_RUNNING,
        "Set the recon-daemon command in %s, or start it yourself with `recon-daemon start`. "
        "It was: %s" % (host.text("cli_setting"), cli or APP),
    )


def cli_command(cli_path):
    """The argv prefix that runs the CLI, from the preference: a command on PATH (`recon-daemon`), a full
    path, a bin/recon-daemon.js (run with the `node` on PATH), or a whole command line (`/usr/bin/node
    /opt/recon-daemon/bin/recon-daemon.js`, what install-addon records)."""
    cli = (cli_path or "").strip() or APP
    try:
        argv = split_command(cli)
    except ValueError as e:  # an unbalanced quote
        raise ReconError("cannot start the daemon: the command %r cannot be read (%s)" % (cli, e),
                         errors.DAEMON_NOT_RUNNING, "Fix the recon-daemon command in %s." % host.text("cli_setting"))
    argv = [os.path.expanduser(a) for a in argv]
    if len(argv) == 1 and argv[0].endswith((".js", ".mjs")):
        argv = [shutil.which("node") or "node"] + argv
    exe = argv[0]
    found = shutil.which(exe) if not os.path.isabs(exe) else (exe if os.path.isfile(exe) and os.access(exe, os.X_OK) else None)
    if not found:
        raise _not_found(repr(exe), cli)
    for script in argv[1:2]:
        if script.endswith((".js", ".mjs")) and not os.path.isfile(script):
            raise _not_found(repr(script), cli)
    return [found] + argv[1:]


def start_daemon(cli_path=None, env=None, timeout=90.0):
    """Run `recon-daemon start` (it returns once the daemon listens) and return its discovery info.
    Blocks: call it from a background thread."""
    argv = cli_command(cli_path) + ["start"]
    try:
        p = subprocess.run(argv, env=dict(os.environ if env is None else env), timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ReconError("cannot start the daemon: %s" % e, errors.DAEMON_NOT_RUNNING,
                         "Check the recon-daemon command in %s, or run `recon-daemon start` in a terminal." % host.text("cli_setting"))
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).decode("utf-8", "replace").strip().splitlines()[-3:]
        raise ReconError("`%s start` failed (exit %d): %s" % (" ".join(argv[:-1]), p.returncode, " ".join(tail)),
                         errors.DAEMON_NOT_RUNNING, "Run `recon-daemon start` in a terminal to see why.")
    info = read_discovery(env)
    if info is None:
        raise ReconError("`recon-daemon start` succeeded but wrote no discovery file", errors.DAEMON_NOT_RUNNING,
                         "Is %s looking at another user's or another XDG_RUNTIME_DIR's daemon?" % host.text("client"))
    return info
