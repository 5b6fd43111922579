# A finished job's files into a folder of the caller's: result.json, then every file it lists in ``outputs``
# (and plugin exporters' files from job.completed) — copied from the job folder when the daemon shares this
# machine's files, fetched with result.read otherwise. Each file is written under a hidden temporary name beside
# its final one and renamed into place, so nobody ever sees half a file, and a failure leaves none behind.
import json
import os
import shutil

from . import errors
from .errors import ReconError

TRANSFERS = ("auto", "path", "data")


class SavedJob(object):
    """What ``save_job_files`` wrote: ``files`` (kind → local path, "result" included), ``result`` (result.json,
    parsed), ``dir`` (the folder), ``fetched`` (True when at least one file came over the connection)."""

    def __init__(self, job_id, directory, result, files, fetched):
        self.job_id = job_id
        self.dir = directory
        self.result = result
        self.files = files
        self.fetched = fetched


def relative_to_job(path, job_dir):
    """A file path the daemon reported → its path relative to the job folder (as result.read takes it)."""
    for sep in ("/", "\\"):
        prefix = job_dir.rstrip("/\\") + sep
        if job_dir and path.startswith(prefix):
            return path[len(prefix):].replace("\\", "/")
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def safe_join(directory, rel):
    """``directory``/``rel`` for a relative file name the daemon gave; refuses names that would leave the folder."""
    parts = rel.replace("\\", "/").split("/")
    if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts) or ":" in parts[0]:
        raise ReconError("the daemon named an output file %r that is not a plain relative path" % (rel,),
                         "PATH_NOT_ALLOWED", "This is a daemon bug; the file was not written.")
    return os.path.join(directory, *parts)


def job_file_names(result, completed=None):
    """kind → path relative to the job folder: result.json's ``outputs`` (result.json itself included), plus files
    the daemon reported in job.completed that result.json does not list (plugin exporters', "<exporter>:<path>")."""
    names = {}
    outputs = result.get("outputs") if isinstance(result, dict) else None
    for kind, name in (outputs or {}).items():
        if isinstance(name, str) and name:
            names[str(kind)] = name.replace("\\", "/")
    names.setdefault("result", "result.json")
    if completed:
        job_dir = completed.get("dir") or ""
        listed = set(names.values())
        for kind, path in sorted((completed.get("files") or {}).items()):
            if not isinstance(path, str):
                continue
            rel = relative_to_job(path, job_dir)
            if kind not in names and rel not in listed:
                names[str(kind)] = rel
                listed.add(rel)
    return names


def _write_atomically(final, data=None, source=None):
    os.makedirs(os.path.dirname(final) or ".", exist_ok=True)
    tmp = os.path.join(os.path.dirname(final), ".%s.part-%d" % (os.path.basename(final), os.getpid()))
    try:
        if source is not None:
            shutil.copyfile(source, tmp)
        else:
            with open(tmp, "wb") as f:
                f.write(data)
        os.replace(tmp, final)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def save_job_files(c, job_id, completed, dest, transfer="auto", on_file=None):
    """Write job ``job_id``'s files into the folder ``dest`` (created if needed) and return a SavedJob.

    ``completed`` is job.completed's ``result`` ({dir, files, …}); ``transfer``: "auto" copies from the job folder
    when the client is on this machine and the file is readable there, else fetches it; "path" always copies;
    "data" always fetches (result.read). ``on_file(kind, path)`` is called after each file. Raises ReconError: FILE_NOT_FOUND when "path" cannot
    read a file, OUTPUT_NOT_WRITABLE when ``dest`` cannot be written, the daemon's codes for result.read."""
    if transfer not in TRANSFERS:
        raise ReconError("Expected one of %s for transfer but received %r" % (", ".join(TRANSFERS), transfer),
                         errors.INVALID_OPTION, "")
    job_dir = completed.get("dir") or ""
    reported = completed.get("files") or {}
    fetched = [False]

    def obtain(kind, rel):
        remote = reported.get(kind) or (os.path.join(job_dir, *rel.split("/")) if job_dir else None)
        local_ok = remote is not None and os.path.isfile(remote)
        if transfer == "path" or (transfer == "auto" and c.local and local_ok):
            if not local_ok:
                raise ReconError("cannot read %s from the job folder %s" % (rel, job_dir or "?"), errors.FILE_NOT_FOUND,
                                 "transfer=\"path\" needs the daemon's files on this machine; use \"auto\" or \"data\".")
            return None, remote
        fetched[0] = True
        return c.read_file(job_id, rel), None

    def put(kind, rel):
        final = safe_join(dest, rel)
        data, source = obtain(kind, rel)
        try:
            _write_atomically(final, data, source)
        except OSError as e:
            raise ReconError("cannot write %s: %s" % (final, e.strerror or e), "OUTPUT_NOT_WRITABLE",
                             "Choose a folder you can write to.")
        if on_file:
            on_file(kind, final)
        return final

    files = {"result": put("result", relative_to_job(reported["result"], job_dir) if reported.get("result") else "result.json")}
    with open(files["result"], "r", encoding="utf-8") as f:
        result = json.load(f)
    for kind, rel in job_file_names(result, completed).items():
        if kind == "result":
            continue
        files[kind] = put(kind, rel)
    return SavedJob(job_id, os.path.abspath(dest), result, files, fetched[0])
