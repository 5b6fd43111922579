// Declarations of exactly the UnityEditor members the package's editor layer uses (integrations/unity/Editor),
// each with the signature of Unity's Scripting API reference for 2021.3 (docs.unity3d.com/2021.3/Documentation/
// ScriptReference/<Type>.<member>.html, named in each comment). Bodies are empty: this file only lets mcs
// type-check the editor layer, so a misspelt member or a wrong signature fails the build in test/unity.test.ts.
// Nothing here runs. Do not add members the editor layer does not use.
using System;
using System.Collections.Generic;
using UnityEngine;

namespace UnityEditor
{
    // MenuItem.html, MenuItem-ctor.html
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
    public sealed class MenuItem : Attribute
    {
        public MenuItem(string itemName) { }
        public MenuItem(string itemName, bool isValidateFunction) { }
        public MenuItem(string itemName, bool isValidateFunction, int priority) { }
    }

    // InitializeOnLoadAttribute.html
    [AttributeUsage(AttributeTargets.Class)]
    public class InitializeOnLoadAttribute : Attribute { }

    // SettingsProviderAttribute.html
    [AttributeUsage(AttributeTargets.Method)]
    public class SettingsProviderAttribute : Attribute { }

    // SettingsScope.html
    public enum SettingsScope
    {
        User = 0,
        Project = 1,
    }

    // SettingsProvider.html
    public class SettingsProvider
    {
        // SettingsProvider-ctor.html: public SettingsProvider(string path, SettingsScope scopes, IEnumerable<string> keywords);
        public SettingsProvider(string path, SettingsScope scopes, IEnumerable<string> keywords) { }
        // SettingsProvider-guiHandler.html: public Action<string> guiHandler;
        public Action<string> guiHandler { get; set; }
    }

    // EditorWindow.html
    public class EditorWindow : ScriptableObject
    {
        // EditorWindow.GetWindow.html: public static T GetWindow<T>(string title) where T : EditorWindow;
        public static T GetWindow<T>(string title) where T : EditorWindow { return null; }
        // EditorWindow.Repaint.html: public void Repaint();
        public void Repaint() { }
    }

    // SettingsService.OpenUserPreferences.html: public static EditorWindow OpenUserPreferences(string settingsPath);
    public static class SettingsService
    {
        public static EditorWindow OpenUserPreferences(string settingsPath) { return null; }
    }

    // EditorPrefs.html
    public class EditorPrefs
    {
        // EditorPrefs.GetString.html: public static string GetString(string key, string defaultValue = "");
        public static string GetString(string key, string defaultValue = "") { return defaultValue; }
        // EditorPrefs.SetString.html: public static void SetString(string key, string value);
        public static void SetString(string key, string value) { }
        // EditorPrefs.GetBool.html: public static bool GetBool(string key, bool defaultValue = false);
        public static bool GetBool(string key, bool defaultValue = false) { return defaultValue; }
        // EditorPrefs.SetBool.html: public static void SetBool(string key, bool value);
        public static void SetBool(string key, bool value) { }
    }

    // SessionState.html (survives assembly reloads, not editor restarts)
    public class SessionState
    {
        // SessionState.GetString.html: public static string GetString(string key, string defaultValue);
        public static string GetString(string key, string defaultValue) { return defaultValue; }
        // SessionState.SetString.html: public static void SetString(string key, string value);
        public static void SetString(string key, string value) { }
        // SessionState.EraseString.html: public static void EraseString(string key);
        public static void EraseString(string key) { }
        // SessionState.GetBool.html: public static bool GetBool(string key, bool defaultValue);
        public static bool GetBool(string key, bool defaultValue) { return defaultValue; }
        // SessionState.SetBool.html: public static void SetBool(string key, bool value);
        public static void SetBool(string key, bool value) { }
    }

    // EditorUtility.html
    public class EditorUtility
    {
        // EditorUtility.OpenFilePanel.html: public static string OpenFilePanel(string title, string directory, string extension);
        public static string OpenFilePanel(string title, string directory, string extension) { return ""; }
        // EditorUtility.DisplayCancelableProgressBar.html: public static bool DisplayCancelableProgressBar(string title, string info, float progress);
        public static bool DisplayCancelableProgressBar(string title, string info, float progress) { return false; }
        // EditorUtility.ClearProgressBar.html: public static void ClearProgressBar();
        public static void ClearProgressBar() { }
        // EditorUtility.DisplayDialog.html: public static bool DisplayDialog(string title, string message, string ok, string cancel = "");
        public static bool DisplayDialog(string title, string message, string ok, string cancel = "") { return true; }
        // EditorUtility.SetDirty.html: public static void SetDirty(Object target);
        public static void SetDirty(UnityEngine.Object target) { }
    }

    // EditorApplication.html
    public sealed class EditorApplication
    {
        // EditorApplication.CallbackFunction.html: public delegate void CallbackFunction();
        public delegate void CallbackFunction();
        // EditorApplication-update.html: public static EditorApplication.CallbackFunction update;
        public static CallbackFunction update;
        // EditorApplication-quitting.html: public static event Action quitting;
        public static event Action quitting;
    }

    // AssemblyReloadEvents.html
    public static class AssemblyReloadEvents
    {
        // AssemblyReloadEvents.AssemblyReloadCallback.html: public delegate void AssemblyReloadCallback();
        public delegate void AssemblyReloadCallback();
        // AssemblyReloadEvents-beforeAssemblyReload.html: public static event AssemblyReloadCallback beforeAssemblyReload;
        public static event AssemblyReloadCallback beforeAssemblyReload;
        // AssemblyReloadEvents-afterAssemblyReload.html: public static event AssemblyReloadCallback afterAssemblyReload;
        public static event AssemblyReloadCallback afterAssemblyReload;
    }

    // ImportAssetOptions.html
    [Flags]
    public enum ImportAssetOptions
    {
        Default = 0,
        ForceUpdate = 1,
        ForceSynchronousImport = 8,
        ImportRecursive = 256,
        DontDownloadFromCacheServer = 8192,
        ForceUncompressedImport = 16384,
    }

    // AssetDatabase.html
    public sealed class AssetDatabase
    {
        // AssetDatabase.ImportAsset.html: public static void ImportAsset(string path, ImportAssetOptions options = ImportAssetOptions.Default);
        public static void ImportAsset(string path, ImportAssetOptions options = ImportAssetOptions.Default) { }
        // AssetDatabase.LoadAssetAtPath.html: public static T LoadAssetAtPath<T>(string assetPath) where T : Object;
        public static T LoadAssetAtPath<T>(string assetPath) where T : UnityEngine.Object { return null; }
        // AssetDatabase.CreateAsset.html: public static void CreateAsset(Object asset, string path);
        public static void CreateAsset(UnityEngine.Object asset, string path) { }
        // AssetDatabase.DeleteAsset.html: public static bool DeleteAsset(string path);
        public static bool DeleteAsset(string path) { return false; }
    }

    // Undo.html
    public class Undo
    {
        // Undo.IncrementCurrentGroup.html: public static void IncrementCurrentGroup();
        public static void IncrementCurrentGroup() { }
        // Undo.GetCurrentGroup.html: public static int GetCurrentGroup();
        public static int GetCurrentGroup() { return 0; }
        // Undo.SetCurrentGroupName.html: public static void SetCurrentGroupName(string name);
        public static void SetCurrentGroupName(string name) { }
        // Undo.CollapseUndoOperations.html: public static void CollapseUndoOperations(int groupIndex);
        public static void CollapseUndoOperations(int groupIndex) { }
        // Undo.RegisterCreatedObjectUndo.html: public static void RegisterCreatedObjectUndo(Object objectToUndo, string name);
        public static void RegisterCreatedObjectUndo(UnityEngine.Object objectToUndo, string name) { }
        // Undo.DestroyObjectImmediate.html: public static void DestroyObjectImmediate(Object objectToUndo);
        public static void DestroyObjectImmediate(UnityEngine.Object objectToUndo) { }
    }

    // PrefabUtility.InstantiatePrefab.html: public static Object InstantiatePrefab(Object assetComponentOrGameObject);
    public sealed class PrefabUtility
    {
        public static UnityEngine.Object InstantiatePrefab(UnityEngine.Object assetComponentOrGameObject) { return null; }
    }

    // Selection-activeGameObject.html: public static GameObject activeGameObject;
    public sealed class Selection
    {
        public static GameObject activeGameObject { get; set; }
    }

    // EditorGUIUtility.PingObject.html: public static void PingObject(Object obj);
    public sealed class EditorGUIUtility
    {
        public static void PingObject(UnityEngine.Object obj) { }
    }

    // AssetImporter.html
    public class AssetImporter : UnityEngine.Object { }

    // ModelImporter.html
    public class ModelImporter : AssetImporter
    {
        // ModelImporter-useFileScale.html: public bool useFileScale;
        public bool useFileScale { get; set; }
        // ModelImporter-globalScale.html: public float globalScale;
        public float globalScale { get; set; }
    }

    // TextureImporter.html
    public sealed class TextureImporter : AssetImporter
    {
        // TextureImporter-wrapMode.html: public TextureWrapMode wrapMode;
        public TextureWrapMode wrapMode { get; set; }
    }

    // AssetPostprocessor.html (OnPreprocessModel / OnPreprocessTexture are messages, found by name)
    public class AssetPostprocessor
    {
        // AssetPostprocessor-assetPath.html: public string assetPath;
        public string assetPath { get; set; }
        // AssetPostprocessor-assetImporter.html: public AssetImporter assetImporter;
        public AssetImporter assetImporter { get { return null; } }
    }

    // MessageType.html
    public enum MessageType
    {
        None = 0,
        Info = 1,
        Warning = 2,
        Error = 3,
    }

    // EditorGUI.html
    public sealed class EditorGUI
    {
        // EditorGUI.BeginChangeCheck.html: public static void BeginChangeCheck();
        public static void BeginChangeCheck() { }
        // EditorGUI.EndChangeCheck.html: public static bool EndChangeCheck();
        public static bool EndChangeCheck() { return false; }
    }

    // EditorGUILayout.html
    public sealed class EditorGUILayout
    {
        // EditorGUILayout.TextField.html: public static string TextField(string label, string text, params GUILayoutOption[] options);
        public static string TextField(string label, string text, params GUILayoutOption[] options) { return text; }
        // EditorGUILayout.PasswordField.html: public static string PasswordField(string label, string password, params GUILayoutOption[] options);
        public static string PasswordField(string label, string password, params GUILayoutOption[] options) { return password; }
        // EditorGUILayout.Toggle.html: public static bool Toggle(string label, bool value, params GUILayoutOption[] options);
        public static bool Toggle(string label, bool value, params GUILayoutOption[] options) { return value; }
        // EditorGUILayout.HelpBox.html: public static void HelpBox(string message, MessageType type);
        public static void HelpBox(string message, MessageType type) { }
        // EditorGUILayout.Space.html: public static void Space();
        public static void Space() { }
        // EditorGUILayout.LabelField.html: public static void LabelField(string label, params GUILayoutOption[] options);
        public static void LabelField(string label, params GUILayoutOption[] options) { }
    }
}
