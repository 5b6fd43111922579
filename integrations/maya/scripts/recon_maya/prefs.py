# The module's preferences: names, kinds, defaults and checks, kept in Maya's optionVars (saved in the user's
# userPrefs.mel) under the prefix "faceRecon_". A value that is missing falls back to its default; one that
# cannot be used (a stale or hand-edited optionVar) also does, and ``load`` says which. The store is anything
# with get(name) → value or None and set(name, value): mayahost's OptionVarStore in Maya, a dict in tests.
# Pure: no maya.
import os

from .recon_client import discovery, errors
from .recon_client.errors import ReconError

PREFIX = "faceRecon_"


class Pref(object):
    __slots__ = ("key", "kind", "default", "label", "help", "lo", "hi", "choices")

    def __init__(self, key, kind, default, label, help_, lo=None, hi=None, choices=None):
        self.key, self.kind, self.default, self.label, self.help = key, kind, default, label, help_
        self.lo, self.hi, self.choices = lo, hi, choices

    @property
    def option_var(self):
        return PREFIX + self.key

    def expected(self):
        if self.kind == "bool":
            return "on or off (1 or 0)"
        if self.choices:
            return "one of %s" % ", ".join(self.choices)
        if self.kind == "int":
            return "integer %d–%d" % (self.lo, self.hi)
        if self.kind == "float":
            return "number %g–%g" % (self.lo, self.hi)
        return "text"

    def check(self, value):
        """The value as stored (bool as 0/1), or ReconError(INVALID_OPTION) with the daemon's wording."""
        def bad():
            return ReconError("Expected %s for %s but received %r" % (self.expected(), self.label, value), errors.INVALID_OPTION,
                              "Fix it in Face Recon ▸ Preferences….", details={"fields": [self.key]})
        if self.kind == "bool":
            if value in (True, False, 0, 1):
                return int(bool(value))
            raise bad()
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int) and not (isinstance(value, float) and value.is_integer()):
                raise bad()
            v = int(value)
            if not self.lo <= v <= self.hi:
                raise bad()
            return v
        if self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not self.lo <= value <= self.hi:
                raise bad()
            return float(value)
        if not isinstance(value, str):
            raise bad()
        v = value.strip()
        if self.choices and v not in self.choices:
            raise bad()
        if self.key == "daemonUrl" and v and not v.startswith(("ws://", "wss://")):
            raise ReconError("Expected a ws:// or wss:// URL (or nothing) for %s but received %r" % (self.label, value), errors.INVALID_OPTION,
                             "Leave it empty to use the daemon on this machine, or e.g. ws://127.0.0.1:47613/", details={"fields": [self.key]})
        return v


SPEC = (
    Pref("daemonUrl", "string", "", "Daemon URL",
         "Empty: the daemon running on this machine, from its discovery file (also finds one started on another port)."),
    Pref("tokenFile", "string", "", "Token file",
         "Empty: the daemon's token file (~/.config/recon-daemon/token) for a daemon on this machine."),
    Pref("autoStart", "bool", 0, "Start the daemon if it is not running",
         "When nothing answers on this machine, run `<command> start` (at most once a minute)."),
    Pref("cliCommand", "string", "", "recon-daemon command",
         "What Start Daemon runs, followed by `start`. Empty: what install-addon recorded, else recon-daemon on PATH."),
    Pref("view", "string", "front", "View",
         "front: the head turned to face the front, its structure map on the front camera (default); camera: as the photo saw it.",
         choices=("front", "camera")),
    Pref("size", "int", 256, "Size", "Size of the maps in pixels.", lo=128, hi=1024),
    Pref("detail", "float", 0.5, "Detail", "Detail layer of the structure map.", lo=0.0, hi=1.0),
    Pref("xray", "bool", 1, "X-ray the face mesh",
         "Show the mesh X-rayed in the viewport (Display ▸ Object Display ▸ X-Ray), so the reference shows through it."),
    Pref("frame", "bool", 1, "Frame the result", "Fit the front camera's view to the new result."),
    Pref("jobTimeout", "float", 120.0, "Job timeout (s)", "Cancel a reconstruction that takes longer.", lo=5.0, hi=3600.0),
)
BY_KEY = {p.key: p for p in SPEC}


def load(store):
    """(values by key, problems): every preference's stored value, or its default when it is missing or cannot
    be used (each such case is one problem text)."""
    values, problems = {}, []
    for p in SPEC:
        raw = store.get(p.option_var)
        if raw is None:
            values[p.key] = p.default
            continue
        try:
            values[p.key] = p.check(raw)
        except ReconError as e:
            values[p.key] = p.default
            problems.append("%s (the default, %r, is used)" % (e.message, p.default))
    return values, problems


def save(store, changes):
    """Check every value in ``changes`` (key → value) first, then store them all; nothing is stored when one is
    refused (ReconError INVALID_OPTION naming it). Unknown keys are refused too."""
    checked = {}
    for key, value in changes.items():
        if key not in BY_KEY:
            raise ReconError("Unknown preference %r" % (key,), errors.INVALID_OPTION, "Preferences: %s." % ", ".join(BY_KEY))
        checked[key] = BY_KEY[key].check(value)
    for key, value in checked.items():
        store.set(BY_KEY[key].option_var, value)
    return checked


def cli_command(values, package_dir=None):
    """The command Start Daemon runs: the preference, else what install-addon recorded (install.json), else
    recon-daemon on PATH."""
    return values.get("cliCommand") or discovery.default_cli_command(package_dir)


def endpoint(values):
    """(url or None, token or None) from the preferences. A token file that is set must hold a token."""
    url = values.get("daemonUrl") or None
    path = values.get("tokenFile")
    if not path:
        return url, None
    token = discovery.read_token(os.path.expanduser(path))
    if not token:
        raise ReconError("no token in %s (missing or empty)" % path, errors.INVALID_OPTION,
                         "Fix the token file in Face Recon ▸ Preferences…, or leave it empty to use the daemon's own.")
    return url, token


def job_options(values):
    """The reconstruction options (recon_client.jobs.normalize_options' names) the preferences set."""
    return {"size": values["size"], "detail": values["detail"]}
