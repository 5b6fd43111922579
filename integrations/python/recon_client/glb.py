# A small reader for the daemon's face.glb (docs/mesh-export.md): one mesh, one triangle primitive with
# POSITION / NORMAL / TEXCOORD_0 and indices, one material whose base colour is an embedded PNG, node extras.
# Standard library only, so the add-on builds the mesh through Blender's data API without the glTF importer
# (which needs numpy, and in some distribution builds does not work at all).
import array
import json
import struct
import sys

GLB_MAGIC = 0x46546C67  # "glTF"
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942

_COMPONENTS = {  # componentType → (array typecode, bytes)
    5120: ("b", 1),
    5121: ("B", 1),
    5122: ("h", 2),
    5123: ("H", 2),
    5125: ("I", 4),
    5126: ("f", 4),
}
_TYPE_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


class GlbError(ValueError):
    pass


class GlbMesh(object):
    """Plain data: positions [(x, y, z)], normals, uvs [(u, v)] (glTF: v from the image's top),
    triangles [(a, b, c)], texture (PNG bytes or None), material dict, node/asset extras."""

    def __init__(self):
        self.name = "face"
        self.positions = []
        self.normals = []
        self.uvs = []
        self.triangles = []
        self.texture = None
        self.texture_mime = None
        self.normal_texture = None
        self.material = {}
        self.extras = {}
        self.asset = {}


def parse_glb(data):
    """GLB bytes → (json dict, bin chunk bytes)."""
    if len(data) < 20:
        raise GlbError("Expected a GLB file but received %d bytes" % len(data))
    magic, version, length = struct.unpack_from("<III", data, 0)
    if magic != GLB_MAGIC:
        raise GlbError("Expected a GLB file (magic 'glTF') but received another format")
    if version != 2:
        raise GlbError("Expected glTF 2 but received version %d" % version)
    if length > len(data):
        raise GlbError("The GLB is truncated (%d of %d bytes)" % (len(data), length))
    pos = 12
    doc = None
    binary = b""
    while pos + 8 <= length:
        chunk_len, chunk_type = struct.unpack_from("<II", data, pos)
        body = data[pos + 8:pos + 8 + chunk_len]
        if chunk_type == CHUNK_JSON:
            doc = json.loads(bytes(body).decode("utf-8"))
        elif chunk_type == CHUNK_BIN:
            binary = bytes(body)
        pos += 8 + chunk_len
    if doc is None:
        raise GlbError("The GLB has no JSON chunk")
    return doc, binary


def _view_bytes(doc, binary, view_index):
    view = doc["bufferViews"][view_index]
    if view.get("buffer", 0) != 0:
        raise GlbError("Only the GLB's own binary buffer is supported")
    start = view.get("byteOffset", 0)
    return binary[start:start + view["byteLength"]], view.get("byteStride")


def read_accessor(doc, binary, index):
    """An accessor → list of tuples (or of numbers for SCALAR)."""
    acc = doc["accessors"][index]
    typecode, size = _COMPONENTS[acc["componentType"]]
    ncomp = _TYPE_SIZES[acc["type"]]
    count = acc["count"]
    if "bufferView" not in acc:
        values = [0] * (count * ncomp)
    else:
        raw, stride = _view_bytes(doc, binary, acc["bufferView"])
        offset = acc.get("byteOffset", 0)
        elem = size * ncomp
        if stride and stride != elem:
            packed = b"".join(raw[offset + i * stride: offset + i * stride + elem] for i in range(count))
        else:
            packed = raw[offset: offset + count * elem]
        if len(packed) != count * elem:
            raise GlbError("Accessor %d runs past its buffer view" % index)
        arr = array.array(typecode)
        arr.frombytes(packed)
        if sys.byteorder == "big":
            arr.byteswap()
        values = arr.tolist()
        if acc.get("normalized"):
            scale = float((1 << (8 * size - (1 if typecode.islower() else 0))) - 1)
            values = [max(v / scale, -1.0) for v in values]
    if ncomp == 1:
        return values
    return [tuple(values[i:i + ncomp]) for i in range(0, len(values), ncomp)]


def read_mesh(data):
    """The first mesh's first triangle primitive, its material's base-colour texture and the node extras."""
    doc, binary = parse_glb(data)
    meshes = doc.get("meshes") or []
    if not meshes:
        raise GlbError("The GLB has no mesh")
    m = GlbMesh()
    m.asset = doc.get("asset") or {}
    mesh_index = 0
    for node in doc.get("nodes") or []:
        if "mesh" in node:
            mesh_index = node["mesh"]
            m.name = node.get("name") or m.name
            m.extras = node.get("extras") or {}
            break
    prim = meshes[mesh_index]["primitives"][0]
    if prim.get("mode", 4) != 4:
        raise GlbError("Expected a triangle primitive (mode 4) but received mode %r" % prim.get("mode"))
    attrs = prim["attributes"]
    m.positions = read_accessor(doc, binary, attrs["POSITION"])
    if "NORMAL" in attrs:
        m.normals = read_accessor(doc, binary, attrs["NORMAL"])
    if "TEXCOORD_0" in attrs:
        m.uvs = read_accessor(doc, binary, attrs["TEXCOORD_0"])
    if "indices" in prim:
        flat = read_accessor(doc, binary, prim["indices"])
    else:
        flat = list(range(len(m.positions)))
    if len(flat) % 3:
        raise GlbError("The index count %d is not a multiple of 3" % len(flat))
    n = len(m.positions)
    if flat and (max(flat) >= n or min(flat) < 0):
        raise GlbError("An index points past the %d vertices" % n)
    m.triangles = [tuple(flat[i:i + 3]) for i in range(0, len(flat), 3)]
    if "material" in prim:
        mat = doc["materials"][prim["material"]]
        pbr = mat.get("pbrMetallicRoughness") or {}
        m.material = {
            "name": mat.get("name") or "face",
            "baseColorFactor": pbr.get("baseColorFactor", [1, 1, 1, 1]),
            "metallicFactor": pbr.get("metallicFactor", 1.0),
            "roughnessFactor": pbr.get("roughnessFactor", 1.0),
            "doubleSided": bool(mat.get("doubleSided", False)),
        }
        tex_info = pbr.get("baseColorTexture")
        if tex_info is not None:
            tex = doc["textures"][tex_info["index"]]
            img = doc["images"][tex["source"]]
            if "bufferView" in img:
                raw, _ = _view_bytes(doc, binary, img["bufferView"])
                m.texture = bytes(raw)
                m.texture_mime = img.get("mimeType", "image/png")
        normal_info = mat.get("normalTexture")
        if normal_info is not None:
            img = doc["images"][doc["textures"][normal_info["index"]]["source"]]
            if "bufferView" in img:
                raw, _ = _view_bytes(doc, binary, img["bufferView"])
                m.normal_texture = bytes(raw)
                m.material["normalScale"] = float(normal_info.get("scale", 1.0))
    return m
