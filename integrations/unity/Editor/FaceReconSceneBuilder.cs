// Builds the scene objects for one reconstruction, as one undoable step:
//
//   FaceRecon_<name>            empty root at the origin (move it to move both)
//   ├── FaceRef_<name>          Quad with an unlit material showing the structure map in the mesh's view
//   │                           (front-structure.png under the default head-frame mesh, structure.png under a
//   │                           camera-view one), facing +Z (the front), 0.225 m square, centred at
//   │                           (0, −0.0225, −0.12): behind the face, lined up with it
//   └── FaceMesh_<name>         the imported mesh (face.glb with glTFast, else face.obj), at the origin, unscaled
//
// Frames (docs/mesh-export.md, FaceFrame.cs): the mesh is in metres with the eyes at the origin; Unity's
// importers mirror X, so the face looks along +Z. The quad's size and centre come from result.json's alignment
// (S·k metres, centre at mesh (0, −0.1·S·k)), so an orthographic view along −Z shows the map exactly behind the
// mesh. Running the same photo again replaces these objects (and overwrites the files in place, keeping their
// GUIDs).
using System.Linq;
using Newtonsoft.Json.Linq;
using ReconDaemon.Client;
using UnityEditor;
using UnityEngine;
using UnityEngine.SceneManagement;

namespace ReconDaemon.Editor
{
    internal static class FaceReconSceneBuilder
    {
        public const string RootFolder = "Assets/FaceRecon";

        /// <summary>True when glTFast is installed (versionDefines in ReconDaemon.Editor.asmdef): GLB is imported.</summary>
        public static bool GlbSupported
        {
            get
            {
#if RECON_GLTFAST
                return true;
#else
                return false;
#endif
            }
        }

        public static string RootName(string name)
        {
            return "FaceRecon_" + name;
        }

        public static string QuadName(string name)
        {
            return "FaceRef_" + name;
        }

        public static string MeshName(string name)
        {
            return "FaceMesh_" + name;
        }

        /// <summary>
        /// Import the files just written to <paramref name="assetFolder"/> and (re)build the scene objects.
        /// Returns the root, or null when there was neither a structure map nor a mesh to show.
        /// </summary>
        public static GameObject Build(string name, string assetFolder, string[] fileNames, JObject resultJson)
        {
            ImportInOrder(assetFolder, fileNames);

            // The map in the mesh's view (result.json says which): front-structure.png under the head-frame mesh.
            var reference = FaceFrame.ReferenceFileName(resultJson);
            var structure = reference != null && fileNames.Contains(reference) ? AssetDatabase.LoadAssetAtPath<Texture2D>(assetFolder + "/" + reference) : null;
            GameObject model = null;
            if (GlbSupported && fileNames.Contains("face.glb")) model = AssetDatabase.LoadAssetAtPath<GameObject>(assetFolder + "/face.glb");
            if (model == null && fileNames.Contains("face.obj")) model = AssetDatabase.LoadAssetAtPath<GameObject>(assetFolder + "/face.obj");
            if (structure == null && model == null) return null;

            string undoName = "Reconstruct Face " + name;
            Undo.IncrementCurrentGroup();
            int group = Undo.GetCurrentGroup();
            Undo.SetCurrentGroupName(undoName);

            RemovePrevious(name);

            var root = new GameObject(RootName(name));
            if (structure != null) CreateReferenceQuad(name, assetFolder, structure, resultJson, root.transform);
            if (model != null)
            {
                var mesh = PrefabUtility.InstantiatePrefab(model) as GameObject;
                if (mesh != null)
                {
                    mesh.name = MeshName(name);
                    mesh.transform.SetParent(root.transform, false);
                    mesh.transform.localPosition = Vector3.zero;
                    mesh.transform.localRotation = Quaternion.identity;
                    mesh.transform.localScale = Vector3.one;
                }
            }
            Undo.RegisterCreatedObjectUndo(root, undoName);
            Undo.CollapseUndoOperations(group);
            Selection.activeGameObject = root;
            EditorGUIUtility.PingObject(root);
            return root;
        }

        // The folders first (so they get their .meta files), then textures before the model and its material
        // file, so the OBJ importer finds texture.png.
        private static void ImportInOrder(string assetFolder, string[] fileNames)
        {
            string folder = "";
            foreach (var part in assetFolder.Split('/'))
            {
                folder = folder.Length == 0 ? part : folder + "/" + part;
                if (folder != "Assets") AssetDatabase.ImportAsset(folder);
            }
            var order = fileNames
                .OrderBy(f => f.EndsWith(".png") ? 0 : f.EndsWith(".mtl") ? 1 : f.EndsWith(".obj") || f.EndsWith(".glb") ? 2 : 3)
                .ThenBy(f => f, System.StringComparer.Ordinal);
            foreach (var f in order) AssetDatabase.ImportAsset(assetFolder + "/" + f, ImportAssetOptions.ForceUpdate);
        }

        // Objects of an earlier run of the same photo (at the scene's top level, or the quad/mesh moved out of
        // their root): removed through Undo, so undoing the new import brings them back.
        private static void RemovePrevious(string name)
        {
            var names = new[] { RootName(name), QuadName(name), MeshName(name) };
            foreach (var go in SceneManager.GetActiveScene().GetRootGameObjects())
            {
                if (names.Contains(go.name)) Undo.DestroyObjectImmediate(go);
            }
        }

        private static void CreateReferenceQuad(string name, string assetFolder, Texture2D structure, JObject resultJson, Transform parent)
        {
            var plane = FaceFrame.ReferencePlaneFor(resultJson);
            var quad = GameObject.CreatePrimitive(PrimitiveType.Quad);
            quad.name = QuadName(name);
            var collider = quad.GetComponent<Collider>();
            if (collider != null) Object.DestroyImmediate(collider); // a reference image, not something to collide with
            quad.transform.SetParent(parent, false);
            quad.transform.localPosition = new Vector3((float)plane.CentreUnity.X, (float)plane.CentreUnity.Y, (float)plane.CentreUnity.Z);
            quad.transform.localRotation = Quaternion.Euler(0f, (float)plane.YawDegrees, 0f);
            quad.transform.localScale = new Vector3((float)plane.Side, (float)plane.Side, 1f);
            quad.GetComponent<MeshRenderer>().sharedMaterial = ReferenceMaterial(name, assetFolder, structure);
        }

        // An unlit material asset next to the texture (kept and updated on re-runs, so its GUID stays).
        private static Material ReferenceMaterial(string name, string assetFolder, Texture2D structure)
        {
            var shader = UnlitShader();
            string path = assetFolder + "/" + QuadName(name) + ".mat";
            var material = AssetDatabase.LoadAssetAtPath<Material>(path);
            if (material == null)
            {
                material = new Material(shader);
                material.name = QuadName(name);
                AssetDatabase.CreateAsset(material, path);
            }
            else if (material.shader != shader)
            {
                material.shader = shader;
            }
            material.mainTexture = structure;
            // The unlit shaders name their texture differently; set whichever this one has.
            foreach (var property in new[] { "_BaseMap", "_UnlitColorMap", "_MainTex" })
            {
                if (material.HasProperty(property)) material.SetTexture(property, structure);
            }
            EditorUtility.SetDirty(material);
            return material;
        }

        // The render pipeline's own unlit shader when it has one (URP, HDRP), else the built-in one.
        private static Shader UnlitShader()
        {
            foreach (var n in new[] { "Universal Render Pipeline/Unlit", "HDRP/Unlit", "Unlit/Texture" })
            {
                var s = Shader.Find(n);
                if (s != null) return s;
            }
            return Shader.Find("Unlit/Texture");
        }
    }

    /// <summary>Import settings for files under Assets/FaceRecon: metres stay metres; maps are not tiled.</summary>
    internal sealed class FaceReconAssetPostprocessor : AssetPostprocessor
    {
        private bool IsOurs
        {
            get { return assetPath.StartsWith(FaceReconSceneBuilder.RootFolder + "/", System.StringComparison.Ordinal); }
        }

        private void OnPreprocessModel()
        {
            if (!IsOurs) return;
            var importer = assetImporter as ModelImporter;
            if (importer == null) return;
            // The OBJ is in metres: 1 unit = 1 m whatever file scale the importer would assume.
            importer.useFileScale = false;
            importer.globalScale = 1f;
        }

        private void OnPreprocessTexture()
        {
            if (!IsOurs) return;
            var importer = assetImporter as TextureImporter;
            if (importer == null) return;
            importer.wrapMode = TextureWrapMode.Clamp;
        }
    }
}
