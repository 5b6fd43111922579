// Declarations of exactly the UnityEngine members the package's editor layer uses (integrations/unity/Editor),
// each with the signature of Unity's Scripting API reference for 2021.3 (docs.unity3d.com/2021.3/Documentation/
// ScriptReference/<Type>.<member>.html, named in each comment). Bodies are empty: this file only lets mcs
// type-check the editor layer, so a misspelt member or a wrong signature fails the build in test/unity.test.ts.
// Nothing here runs. Do not add members the editor layer does not use.
using System;

namespace UnityEngine
{
    // Object.html — base of every engine object; == compares with "destroyed" semantics in Unity.
    public class Object
    {
        // Object-name.html: public string name;
        public string name { get; set; }

        // Object.DestroyImmediate.html: public static void DestroyImmediate(Object obj, bool allowDestroyingAssets = false);
        public static void DestroyImmediate(Object obj, bool allowDestroyingAssets = false) { }

        // Object-operator_eq.html / Object-operator_ne.html / Object-operator_Object.html
        public static bool operator ==(Object x, Object y) { return ReferenceEquals(x, y); }
        public static bool operator !=(Object x, Object y) { return !ReferenceEquals(x, y); }
        public static implicit operator bool(Object exists) { return !ReferenceEquals(exists, null); }

        public override bool Equals(object other) { return ReferenceEquals(this, other); }
        public override int GetHashCode() { return 0; }
    }

    // ScriptableObject.html (base of EditorWindow)
    public class ScriptableObject : Object { }

    // Component.html
    public class Component : Object { }

    // Transform.html
    public class Transform : Component
    {
        // Transform-localPosition.html
        public Vector3 localPosition { get; set; }
        // Transform-localRotation.html
        public Quaternion localRotation { get; set; }
        // Transform-localScale.html
        public Vector3 localScale { get; set; }
        // Transform.SetParent.html: public void SetParent(Transform parent, bool worldPositionStays);
        public void SetParent(Transform parent, bool worldPositionStays) { }
    }

    // Collider.html
    public class Collider : Component { }

    // Renderer.html
    public class Renderer : Component
    {
        // Renderer-sharedMaterial.html
        public Material sharedMaterial { get; set; }
    }

    // MeshRenderer.html
    public class MeshRenderer : Renderer { }

    // PrimitiveType.html
    public enum PrimitiveType
    {
        Sphere = 0,
        Capsule = 1,
        Cylinder = 2,
        Cube = 3,
        Plane = 4,
        Quad = 5,
    }

    // GameObject.html
    public sealed class GameObject : Object
    {
        // GameObject-ctor.html: public GameObject(string name);
        public GameObject(string name) { }
        // GameObject.CreatePrimitive.html: public static GameObject CreatePrimitive(PrimitiveType type);
        public static GameObject CreatePrimitive(PrimitiveType type) { return null; }
        // GameObject-transform.html
        public Transform transform { get { return null; } }
        // GameObject.GetComponent.html: public T GetComponent<T>();
        public T GetComponent<T>() { return default(T); }
    }

    // Vector3.html
    public struct Vector3
    {
        public float x;
        public float y;
        public float z;
        // Vector3-ctor.html: public Vector3(float x, float y, float z);
        public Vector3(float x, float y, float z) { this.x = x; this.y = y; this.z = z; }
        // Vector3-zero.html, Vector3-one.html
        public static Vector3 zero { get { return new Vector3(0, 0, 0); } }
        public static Vector3 one { get { return new Vector3(1, 1, 1); } }
    }

    // Quaternion.html
    public struct Quaternion
    {
        // Quaternion-identity.html
        public static Quaternion identity { get { return new Quaternion(); } }
        // Quaternion.Euler.html: public static Quaternion Euler(float x, float y, float z);
        public static Quaternion Euler(float x, float y, float z) { return new Quaternion(); }
    }

    // Mathf.RoundToInt.html: public static int RoundToInt(float f);
    public struct Mathf
    {
        public static int RoundToInt(float f) { return 0; }
    }

    // Texture.html, Texture2D.html
    public class Texture : Object { }

    public sealed class Texture2D : Texture { }

    // TextureWrapMode.html
    public enum TextureWrapMode
    {
        Repeat = 0,
        Clamp = 1,
        Mirror = 2,
        MirrorOnce = 3,
    }

    // Shader.html
    public sealed class Shader : Object
    {
        // Shader.Find.html: public static Shader Find(string name);
        public static Shader Find(string name) { return null; }
    }

    // Material.html
    public class Material : Object
    {
        // Material-ctor.html: public Material(Shader shader);
        public Material(Shader shader) { }
        // Material-shader.html
        public Shader shader { get; set; }
        // Material-mainTexture.html
        public Texture mainTexture { get; set; }
        // Material.HasProperty.html: public bool HasProperty(string name);
        public bool HasProperty(string name) { return false; }
        // Material.SetTexture.html: public void SetTexture(string name, Texture value);
        public void SetTexture(string name, Texture value) { }
    }

    // Debug.html
    public class Debug
    {
        // Debug.Log.html: public static void Log(object message);
        public static void Log(object message) { }
        // Debug.LogWarning.html: public static void LogWarning(object message);
        public static void LogWarning(object message) { }
        // Debug.LogError.html: public static void LogError(object message);
        public static void LogError(object message) { }
    }

    // Application-dataPath.html: public static string dataPath;
    public class Application
    {
        public static string dataPath { get { return ""; } }
    }

    // GUILayoutOption.html
    public sealed class GUILayoutOption { }

    // GUILayout.html
    public class GUILayout
    {
        // GUILayout.Button.html: public static bool Button(string text, params GUILayoutOption[] options);
        public static bool Button(string text, params GUILayoutOption[] options) { return false; }
        // GUILayout.Label.html: public static void Label(string text, params GUILayoutOption[] options);
        public static void Label(string text, params GUILayoutOption[] options) { }
        // GUILayout.FlexibleSpace.html: public static void FlexibleSpace();
        public static void FlexibleSpace() { }
        // GUILayout.BeginHorizontal.html: public static void BeginHorizontal(params GUILayoutOption[] options);
        public static void BeginHorizontal(params GUILayoutOption[] options) { }
        // GUILayout.EndHorizontal.html: public static void EndHorizontal();
        public static void EndHorizontal() { }
    }
}

namespace UnityEngine.SceneManagement
{
    // SceneManagement.Scene.html
    public struct Scene
    {
        // SceneManagement.Scene.GetRootGameObjects.html: public GameObject[] GetRootGameObjects();
        public GameObject[] GetRootGameObjects() { return new GameObject[0]; }
    }

    // SceneManagement.SceneManager.html
    public class SceneManager
    {
        // SceneManagement.SceneManager.GetActiveScene.html: public static Scene GetActiveScene();
        public static Scene GetActiveScene() { return new Scene(); }
    }
}
