// The geometry that lines the structure map up with the mesh (docs/outputs.md, docs/mesh-export.md), kept
// engine-free so it is tested without Unity:
//
//   mesh space: metres, right-handed, +X image right, +Y up, +Z towards the camera, origin between the eyes;
//   map pixel (u, v) of an S×S map is the mesh point ((u − 0.5·S)·k, (0.4·S − v)·k) with k = 0.063 / (0.28·S).
//
// That holds in both views of a face: the camera view (structure.png, pixel-aligned with crop.png, and the mesh
// with view "camera") and the front view (front-structure.png and the mesh in the head frame, the default), so
// the quad goes to the same place either way; which map it shows is the one in the mesh's view
// (ReferenceKind).
//
// So the whole map spans S·k = 0.225 m on a side and its centre (0.5·S, 0.5·S) is at mesh (0, −0.1·S·k).
// Unity's OBJ and glTF importers mirror X (right-handed → left-handed), so mesh (x, y, z) becomes Unity
// (−x, y, z): the face looks along +Z. A Unity Quad shows its texture unmirrored towards −Z; turned 180° about Y
// it faces +Z, where a viewer sees the face, with the map's right edge on the viewer's right (−X), as the
// mirrored mesh has it.
using System;
using Newtonsoft.Json.Linq;

namespace ReconDaemon.Client
{
    public struct Vec3
    {
        public double X;
        public double Y;
        public double Z;

        public Vec3(double x, double y, double z)
        {
            X = x;
            Y = y;
            Z = z;
        }

        public override string ToString()
        {
            return string.Format(System.Globalization.CultureInfo.InvariantCulture, "({0:0.######}, {1:0.######}, {2:0.######})", X, Y, Z);
        }
    }

    /// <summary>Where the structure-map quad goes, in Unity's frame (metres).</summary>
    public sealed class ReferencePlane
    {
        /// <summary>Side of the square quad: S·k metres (0.225 m for every S).</summary>
        public double Side;
        /// <summary>Map size in pixels (S).</summary>
        public int Size;
        /// <summary>Metres per map pixel (k).</summary>
        public double MetresPerPixel;
        /// <summary>Centre of the quad in mesh space (right-handed), before the depth offset.</summary>
        public Vec3 CentreMesh;
        /// <summary>Centre of the quad in Unity space, behind the face by the depth offset.</summary>
        public Vec3 CentreUnity;
        /// <summary>Rotation about Y, degrees, that turns a Unity Quad (facing −Z) to face +Z.</summary>
        public double YawDegrees;
    }

    public static class FaceFrame
    {
        /// <summary>
        /// The structure map to show on the reference quad: the one in the same view as the mesh, read from
        /// result.json (<c>mesh.view</c>, <c>frames</c>, <c>outputs</c>): <c>front-structure</c> under a
        /// head-frame mesh, <c>structure</c> under a camera-view one. Without a mesh, the preferred view's map
        /// when it was written, else whichever was. Null when neither was written.
        /// </summary>
        public static string ReferenceKind(JObject resultJson, string preferredView = Views.Front)
        {
            var outputs = resultJson == null ? null : resultJson["outputs"] as JObject;
            Func<string, bool> has = kind => outputs == null ? kind == OutputKinds.Structure : outputs[kind] != null;
            var mesh = resultJson == null ? null : resultJson["mesh"] as JObject;
            var view = mesh != null && mesh["view"] != null && mesh["view"].Type == JTokenType.String ? mesh.Value<string>("view") : preferredView;
            var frames = resultJson == null ? null : resultJson["frames"] as JObject;
            foreach (var kind in new[] { OutputKinds.FrontStructure, OutputKinds.Structure })
            {
                string frame = frames != null && frames[kind] != null ? frames.Value<string>(kind) : (kind == OutputKinds.FrontStructure ? Views.Front : Views.Camera);
                if (frame == view && has(kind)) return kind;
            }
            if (has(OutputKinds.Structure)) return OutputKinds.Structure;
            return has(OutputKinds.FrontStructure) ? OutputKinds.FrontStructure : null;
        }

        /// <summary>The file name of <see cref="ReferenceKind"/> in the job folder (e.g. "front-structure.png"), or null.</summary>
        public static string ReferenceFileName(JObject resultJson, string preferredView = Views.Front)
        {
            var kind = ReferenceKind(resultJson, preferredView);
            if (kind == null) return null;
            var outputs = resultJson == null ? null : resultJson["outputs"] as JObject;
            return outputs != null && outputs[kind] != null ? outputs.Value<string>(kind) : kind + ".png";
        }

        /// <summary>The head's pose in the photo, from result.json (<c>mesh.pose</c>, else <c>headFrame.pose</c>), or null.</summary>
        public static Pose HeadPose(JObject resultJson)
        {
            if (resultJson == null) return null;
            var p = (resultJson["mesh"] as JObject)?["pose"] as JObject ?? (resultJson["headFrame"] as JObject)?["pose"] as JObject;
            return p == null ? null : p.ToObject<Pose>();
        }
        /// <summary>Mean adult inter-pupillary distance, metres: the mesh's scale convention.</summary>
        public const double InterPupillaryDistance = 0.063;
        /// <summary>Pupils are 0.28·S apart in the canonical crop.</summary>
        public const double PupilSpacing = 0.28;
        /// <summary>The pupils' midpoint is at (0.5·S, 0.4·S) in the crop.</summary>
        public const double EyeLine = 0.4;
        /// <summary>Default canonical size S.</summary>
        public const int DefaultSize = 256;
        /// <summary>How far behind the pupils the reference quad sits (metres), so the face is in front of it.</summary>
        public const double DefaultQuadDepth = 0.12;

        public static double MetresPerPixel(int size)
        {
            if (size <= 0) throw new ArgumentOutOfRangeException("size", "Expected a positive map size but received " + size);
            return InterPupillaryDistance / (PupilSpacing * size);
        }

        /// <summary>Mesh-space point of crop pixel position (u, v) (continuous, origin at the top-left corner).</summary>
        public static Vec3 CropToMesh(double u, double v, int size, double metresPerPixel)
        {
            return new Vec3((u - 0.5 * size) * metresPerPixel, (EyeLine * size - v) * metresPerPixel, 0);
        }

        /// <summary>Right-handed mesh space → Unity's left-handed frame, as Unity's OBJ/glTF importers convert.</summary>
        public static Vec3 MeshToUnity(Vec3 p)
        {
            return new Vec3(-p.X, p.Y, p.Z);
        }

        public static ReferencePlane ReferencePlaneFor(int size, double metresPerPixel, double depth = DefaultQuadDepth)
        {
            var centre = CropToMesh(0.5 * size, 0.5 * size, size, metresPerPixel);
            var unity = MeshToUnity(centre);
            unity.Z = -depth;
            return new ReferencePlane
            {
                Size = size,
                MetresPerPixel = metresPerPixel,
                Side = size * metresPerPixel,
                CentreMesh = centre,
                CentreUnity = unity,
                YawDegrees = 180,
            };
        }

        /// <summary>
        /// The reference plane for a job, from its result.json (<c>alignment.size</c> and
        /// <c>alignment.metresPerPixel</c>); the defaults (S = 256) when the file does not say.
        /// </summary>
        public static ReferencePlane ReferencePlaneFor(JObject resultJson, double depth = DefaultQuadDepth)
        {
            int size = DefaultSize;
            double k = 0;
            var alignment = resultJson == null ? null : resultJson["alignment"] as JObject;
            if (alignment != null)
            {
                var s = alignment["size"];
                if (s != null && s.Type == JTokenType.Integer) size = s.Value<int>();
                var m = alignment["metresPerPixel"];
                if (m != null && (m.Type == JTokenType.Float || m.Type == JTokenType.Integer)) k = m.Value<double>();
            }
            if (k <= 0) k = MetresPerPixel(size);
            return ReferencePlaneFor(size, k, depth);
        }
    }
}
