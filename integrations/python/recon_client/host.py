# The words the client's messages and hints use for the application around it: who is talking and where the
# user changes a setting. The defaults fit the command line and pipeline scripts; an editor that embeds the
# client (the Blender add-on, the Maya module) names its own places once, at import, with ``configure``. Each
# embedding has its own copy of this package (vendored), so one application's words never leak into another's.

_DEFAULTS = {
    # Who is talking ("the add-on reads it from …").
    "client": "recon_client",
    # Where the daemon's URL and token are set.
    "settings": "the command line (--url, --token, --token-file)",
    # Where the command that starts the daemon is set.
    "cli_setting": "--cli (the command that runs recon-daemon; by default `recon-daemon` on PATH)",
    # What else the user can do when nothing answers (the message already says `recon-daemon start`).
    "not_running_hint": "Or pass --start to start it when nothing answers. If it runs elsewhere, check --url and --token.",
    # Where the options of a reconstruction are documented.
    "options_doc": "docs/python.md for the options of recon_client",
}

_texts = dict(_DEFAULTS)


def configure(**texts):
    """Replace some of the texts (keys as in the defaults); unknown keys are refused, so a typo shows at once."""
    unknown = sorted(set(texts) - set(_DEFAULTS))
    if unknown:
        raise KeyError("Unknown host text(s): %s (known: %s)" % (", ".join(unknown), ", ".join(sorted(_DEFAULTS))))
    _texts.update({k: str(v) for k, v in texts.items()})


def reset():
    """Back to the defaults (tests)."""
    _texts.clear()
    _texts.update(_DEFAULTS)


def text(key):
    return _texts[key]
