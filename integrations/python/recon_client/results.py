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


def landmark_front(result, index):
    """Landmark ``index`` of the reconstructed face in front-view pixels (u, v), via result.json's headFrame
    (q = rotation·(p − centre), u = 0.5·S + scale·q_x, v = 0.4·S + scale·q_y; docs/outputs.md). Exact for
    landmarks the hidden-side completion left alone; None without a head frame."""
    face = reconstructed_face(result)
    h = result.get("headFrame") if isinstance(result, dict) else None
    if not face or "points" not in face or not isinstance(h, dict) or "rotation" not in h:
        return None
    p = face["points"][index]
    r, c, s, size = h["rotation"], h["centre"], float(h["scale"]), int(h.get("size", crop_size(result)))
    d = (p[0] - c[0], p[1] - c[1], p[2] - c[2])
    qx = r[0] * d[0] + r[1] * d[1] + r[2] * d[2]
    qy = r[3] * d[0] + r[4] * d[1] + r[5] * d[2]
    return (0.5 * size + s * qx, 0.4 * size + s * qy)


#: The structure map of each view (result.json output kinds).
REFERENCE_KINDS = {"front": "front-structure", "camera": "structure"}


def reference_kind(result, preferred="front"):
    """The structure map to show as the reference: the one in the same view as the mesh (result.json's
    ``mesh.view`` and ``frames``), so the two line up; without a mesh the preferred view's map when it was
    written, else whichever was; None when neither was."""
    outputs = (result.get("outputs") if isinstance(result, dict) else None) or {}
    frames = result.get("frames") or {}
    mesh = result.get("mesh") or {}
    view = mesh.get("view") or preferred
    for kind in ("front-structure", "structure"):
        frame = frames.get(kind, "front" if kind == "front-structure" else "camera")
        if frame == view and kind in outputs:
            return kind
    for kind in ("structure", "front-structure"):
        if kind in outputs:
            return kind
    return None


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
