# Reading a job's result.json (docs/result-format.md, docs/quality.md): the verdict, the checks that warn or
# fail with their messages and hints, the crop size and scale, landmark positions in the crop.
from . import errors
from .errors import ReconError
from .frames import image_to_crop, metres_per_pixel


def verdict(result, summary=None):
    """"pass" | "warn" | "fail" | None — from job.completed's summary, else result.json's quality."""
    if summary and summary.get("verdict"):
        return summary["verdict"]
    q = result.get("quality") if isinstance(result, dict) else None
    return q.get("verdict") if isinstance(q, dict) else None


def checks(result, severities=("warn", "fail")):
    """Quality checks with one of these severities, as [{code, severity, message, hint}] in result order."""
    q = result.get("quality") if isinstance(result, dict) else None
    out = []
    for c in (q or {}).get("checks") or []:
        if isinstance(c, dict) and c.get("severity") in severities:
            out.append({
                "code": str(c.get("code", "")),
                "severity": c["severity"],
                "message": str(c.get("message", "")),
                "hint": str(c.get("hint", "")),
            })
    return out


def failure_error(result):
    """The ReconError for a "fail" verdict: the first failing check's code, every failing message, their hints."""
    failing = checks(result, ("fail",))
    if not failing:
        return ReconError("the quality verdict is fail", errors.QUALITY_FAILED,
                          "See the quality checks in result.json, or pass force=True to build the scene anyway.")
    message = "quality check failed: " + "; ".join(c["message"] for c in failing if c["message"])
    hints = []
    for c in failing:
        if c["hint"] and c["hint"] not in hints:
            hints.append(c["hint"])
    return ReconError(message, failing[0]["code"], " ".join(hints),
                      details={"checks": failing, "verdict": "fail"})


def crop_size(result, default=256):
    a = result.get("alignment") if isinstance(result, dict) else None
    return int(a.get("size", default)) if isinstance(a, dict) else default


def scale(result):
    """Metres per crop pixel, from result.json (or from the crop size when absent)."""
    a = result.get("alignment") or {}
    return float(a.get("metresPerPixel") or metres_per_pixel(crop_size(result)))


def reconstructed_face(result):
    faces = result.get("faces") or []
    idx = result.get("reconstructedFace")
    if idx is None:
        rec = result.get("reconstructed") or []
        idx = rec[0] if rec else None
    return faces[idx] if idx is not None and 0 <= idx < len(faces) else None


def landmark_crop(result, index):
    """Landmark ``index`` of the reconstructed face in crop pixels (u, v), via alignment.matrix."""
    face = reconstructed_face(result)
    a = result.get("alignment") or {}
    if not face or "points" not in face or "matrix" not in a:
        return None
    p = face["points"][index]
    return image_to_crop(a["matrix"], p[0], p[1])


def depth_back_metres(result):
    """How far behind the pupils' plane the face's farthest point lies, metres (≥ 0), from depthScale."""
    d = result.get("depthScale") or {}
    far = d.get("farMetres")
    return max(0.0, -float(far)) if isinstance(far, (int, float)) else None


def summary_line(v, warnings):
    if v is None:
        return "done"
    if not warnings:
        return "verdict: %s" % v
    return "verdict: %s (%s)" % (v, ", ".join(w["code"] for w in warnings))
