# `python -m recon_client`: the client on the command line, for pipeline TDs. It finds the daemon as the editor
# add-ons do (the discovery file, the token file), sends a photo (by path to a daemon on this machine, as bytes
# otherwise), shows progress on stderr, and puts the job's files into a folder: copied from the job folder, or
# fetched with result.read. A failure prints the error's stable code and its hint and exits non-zero:
#   0 done (verdict pass or warn) · 1 the photo or the job failed (NO_FACE, a fail verdict, …) · 2 usage
#   3 the daemon could not be reached or refused us (DAEMON_NOT_RUNNING, UNAUTHORIZED, …) · 130 cancelled (Ctrl+C)
import argparse
import json
import os
import sys
import threading

from . import __version__, discovery, download, errors, jobs, results
from .client import ReconClient
from .errors import ReconError

CLIENT_NAME = "recon_client-cli"

#: Codes that say the daemon was not reached or would not talk to us (exit 3): retrying later may help.
CONNECTION_CODES = frozenset((
    errors.DAEMON_NOT_RUNNING, errors.NO_ANSWER, errors.CONNECTION_LOST, "UNAUTHORIZED", "HANDSHAKE_FAILED",
    "ORIGIN_NOT_ALLOWED", "HOST_NOT_ALLOWED", "UNSUPPORTED_PROTOCOL_VERSION", "SHUTTING_DOWN", "SERVER_BUSY",
))

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONNECTION, EXIT_CANCELLED = 0, 1, 2, 3, 130


def _json_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def _option(text):
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError("expected NAME=VALUE but received %r" % (text,))
    return name.strip(), _json_value(value)


def build_parser():
    p = argparse.ArgumentParser(
        prog="python -m recon_client",
        description="Talk to a running recon-daemon: reconstruct a photo into a folder, or show the daemon's status. "
                    "The daemon is found through its discovery file and token file, as the editor add-ons find it.")
    p.add_argument("--version", action="version", version="recon_client %s" % __version__)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def connection(sp):
        g = sp.add_argument_group("connection")
        g.add_argument("--url", help="the daemon's ws:// URL (default: from its discovery file, else ws://127.0.0.1:47613/)")
        t = g.add_mutually_exclusive_group()
        t.add_argument("--token", help="the daemon's token (default: read from its token file, for a daemon on this machine)")
        t.add_argument("--token-file", metavar="FILE", help="read the token from this file")
        g.add_argument("--start", action="store_true", help="start the daemon (`<cli> start`) when nothing answers on this machine")
        g.add_argument("--cli", metavar="COMMAND", help="the command that runs recon-daemon, for --start (default: recon-daemon on PATH)")
        g.add_argument("--connect-timeout", type=float, default=5.0, metavar="S", help="seconds to wait for the connection (default 5)")

    r = sub.add_parser("reconstruct", help="reconstruct one photo and put the job's files into a folder",
                       description="Reconstruct PHOTO with the daemon and write every file of the job (result.json, the "
                                   "maps, the mesh…) into DIR. On failure: the error's code and hint on stderr, exit 1 "
                                   "(3 when the daemon cannot be reached).")
    r.add_argument("photo", help="the photo (JPEG, PNG, WebP, TIFF, AVIF/HEIF, GIF)")
    r.add_argument("-o", "--out", metavar="DIR", help="folder for the job's files (created; default ./<photo name>)")
    r.add_argument("--size", type=int, help="size of the maps, 128–1024 (default 256)")
    r.add_argument("--detail", type=float, help="detail of the structure map, 0–1 (default 0.5)")
    r.add_argument("--face", type=int, metavar="N", help="which face: 0 = the largest (default), 1 = the next…")
    r.add_argument("--outputs", metavar="KINDS", help="comma-separated output kinds (default: the daemon's default set), e.g. structure,obj")
    r.add_argument("--force", action="store_true", help="write every output and exit 0 even when the quality verdict is fail")
    r.add_argument("--max-pixels", type=int, metavar="N", help="decoded-pixel limit for this photo")
    r.add_argument("-O", "--option", type=_option, action="append", default=[], metavar="NAME=VALUE",
                   help="any other reconstruction option the client knows (value as JSON when it parses), e.g. -O view=camera")
    r.add_argument("--transfer", choices=download.TRANSFERS, default="auto",
                   help="auto (default): the photo by path and the files copied when the daemon is on this machine, else "
                        "bytes and result.read; path; data (always bytes and result.read)")
    r.add_argument("--timeout", type=float, default=120.0, metavar="S", help="give up (and cancel the job) after S seconds (default 120)")
    r.add_argument("--json", action="store_true", help="print one JSON object (the outcome or the error) on stdout")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    connection(r)

    s = sub.add_parser("status", help="the daemon's status (daemon.status)")
    s.add_argument("--json", action="store_true", help="print the whole status as JSON")
    connection(s)
    return p


def daemon_options(args):
    """The reconstruction options for the daemon, checked with the client's rules and wording (jobs.py)."""
    opts = dict(args.option)
    for key, value in (("size", args.size), ("detail", args.detail), ("face", args.face), ("max_pixels", args.max_pixels)):
        if value is not None:
            opts[key] = value
    if args.force:
        opts["force"] = True
    user_outputs = opts.pop("outputs", None) if args.outputs is None else args.outputs
    opts.update(import_mesh=False, load_images=False)
    daemon, _client = jobs.normalize_options(opts)
    daemon.pop("outputs", None)  # without outputs the daemon writes its default set
    if user_outputs is not None:
        kinds = [k.strip() for k in user_outputs.split(",") if k.strip()] if isinstance(user_outputs, str) else user_outputs
        if not isinstance(kinds, list) or not kinds or any(k not in jobs.OUTPUT_KINDS for k in kinds):
            raise ReconError("Expected a list of output kinds (%s) for outputs but received %r" % (", ".join(jobs.OUTPUT_KINDS), user_outputs),
                             errors.INVALID_OPTION, "Separate kinds with commas, e.g. --outputs structure,obj", details={"fields": ["outputs"]})
        daemon["outputs"] = kinds
    return daemon


def connect(args):
    """A connected client: --url/--token/--token-file, else the discovery and token files; --start starts the
    daemon when nothing answers on this machine."""
    token = args.token
    if args.token_file:
        token = discovery.read_token(os.path.expanduser(args.token_file))
        if not token:
            raise ReconError("no token in %s (missing or empty)" % args.token_file, errors.INVALID_OPTION,
                             "Point --token-file at the daemon's token file (recon-daemon status shows where it is).")

    def attempt():
        return ReconClient.connect(url=args.url, token=token, timeout=args.connect_timeout, client_name=CLIENT_NAME,
                                   client_version=__version__)

    try:
        return attempt()
    except ReconError as e:
        if e.code != errors.DAEMON_NOT_RUNNING or not args.start or (args.url and not discovery.is_loopback_url(args.url)):
            raise
    discovery.start_daemon(args.cli or discovery.default_cli_command())
    return attempt()


class Printer(object):
    def __init__(self, out, err, as_json, quiet):
        self.out, self.err, self.as_json, self.quiet = out, err, as_json, quiet
        self._stage = None
        self._lock = threading.Lock()

    def progress(self, stage, fraction):
        if self.quiet:
            return
        with self._lock:
            if stage != self._stage:
                self._stage = stage
                self.err.write("  %-10s %3d%%\n" % (stage, round(100 * fraction)))
                self.err.flush()

    def note(self, text):
        if not self.quiet:
            self.err.write(text + "\n")
            self.err.flush()

    def error(self, e):
        if self.as_json:
            self.out.write(json.dumps({"ok": False, "error": {"code": e.code, "message": e.message, "hint": e.hint,
                                                              "details": e.details}}, indent=2, default=str) + "\n")
        else:
            self.err.write("error %s: %s\n" % (e.code, e.message))
            if e.hint:
                self.err.write("hint: %s\n" % e.hint)
            for c in e.details.get("checks", [])[1:]:  # every failing check, not only the first
                self.err.write("also %s: %s\n" % (c["code"], c["message"]))


def run_in_thread(fn, cancel_event, printer):
    """Run ``fn`` on a worker thread; Ctrl+C sets ``cancel_event`` (the job is cancelled) and waits for it to end."""
    box = {}

    def work():
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the main thread
            box["error"] = e

    t = threading.Thread(target=work, name="recon-cli-job", daemon=True)
    t.start()
    try:
        while t.is_alive():
            t.join(0.1)
    except KeyboardInterrupt:
        cancel_event.set()
        printer.note("cancelling…")
        t.join(15)
    if "error" in box:
        raise box["error"]
    if "value" not in box:
        raise ReconError("reconstruction cancelled", errors.CANCELLED, "")
    return box["value"]


def cmd_reconstruct(args, printer):
    if not os.path.isfile(args.photo):
        raise ReconError("No such photo: %s" % args.photo, errors.FILE_NOT_FOUND, "Check the file path.")
    opts = daemon_options(args)  # before connecting: a bad option never reaches the daemon
    dest = os.path.abspath(args.out or os.path.splitext(os.path.basename(args.photo))[0] or "photo")
    c = connect(args)
    try:
        cancel = threading.Event()
        job_id, completed = run_in_thread(
            lambda: jobs.wait_for_job(c, args.photo, opts, args.transfer, args.timeout, printer.progress, cancel), cancel, printer)
        saved = download.save_job_files(c, job_id, completed, dest, args.transfer)
    finally:
        c.close()
    verdict = results.verdict(saved.result, completed)
    if verdict == "fail" and not args.force:
        err = results.failure_error(saved.result)
        err.details.update(jobId=job_id, dir=saved.dir)
        raise err
    warnings = results.checks(saved.result, ("warn", "fail"))
    if printer.as_json:
        printer.out.write(json.dumps({"ok": True, "jobId": job_id, "verdict": verdict, "warnings": warnings,
                                      "dir": saved.dir, "fetched": saved.fetched, "files": saved.files}, indent=2) + "\n")
    else:
        printer.out.write("%s %s → %s (%d files, job %s%s)\n" % (
            verdict or "done", os.path.basename(args.photo), saved.dir, len(saved.files), job_id,
            ", fetched with result.read" if saved.fetched else ""))
        for w in warnings:
            printer.out.write("  %s %s: %s%s\n" % (w["severity"], w["code"], w["message"], (" — " + w["hint"]) if w["hint"] else ""))
    return EXIT_OK


def cmd_status(args, printer):
    c = connect(args)
    try:
        s = c.status()
    finally:
        c.close()
    if printer.as_json:
        printer.out.write(json.dumps(s, indent=2) + "\n")
    else:
        w = s.get("workers") or {}
        q = s.get("queue") or {}
        printer.out.write("recon-daemon %s at %s (pid %s): %s/%s workers ready, %s queued, %s running; output root %s\n" % (
            s.get("version"), s.get("url"), s.get("pid"), w.get("ready"), w.get("total"), q.get("queued"), q.get("running"),
            s.get("outputRoot")))
    return EXIT_OK


def main(argv=None, out=None, err=None):
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    printer = Printer(out, err, getattr(args, "json", False), getattr(args, "quiet", False) or args.command == "status")
    try:
        return {"reconstruct": cmd_reconstruct, "status": cmd_status}[args.command](args, printer)
    except ReconError as e:
        printer.error(e)
        if e.code == errors.CANCELLED:
            return EXIT_CANCELLED
        return EXIT_CONNECTION if e.code in CONNECTION_CODES else EXIT_FAILED
    except KeyboardInterrupt:
        printer.error(ReconError("interrupted", errors.CANCELLED, ""))
        return EXIT_CANCELLED


def console_main():
    """The `recon-client` script pip installs."""
    sys.exit(main())
