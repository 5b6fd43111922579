// A minimal NUnit runner for the package's Tests/ assembly (Unity runs them with its Test Framework; here no
// Unity and no nunit-console are needed, only nunit.framework.dll from Debian's libnunit-framework2.6.3-cil).
// Finds [Test] methods in [TestFixture] classes, runs [SetUp]/[TearDown] around each, prints one line per test
// and "N passed, N failed" at the end; exit code 1 when a test failed.
using System;
using System.Linq;
using System.Reflection;
using NUnit.Framework;

internal static class NUnitRunner
{
    private static int Main(string[] args)
    {
        var assembly = Assembly.LoadFrom(args[0]);
        int passed = 0, failed = 0;
        foreach (var type in assembly.GetTypes().Where(t => t.GetCustomAttributes(typeof(TestFixtureAttribute), true).Length > 0).OrderBy(t => t.FullName))
        {
            var methods = type.GetMethods(BindingFlags.Public | BindingFlags.Instance);
            var setUp = methods.Where(m => m.GetCustomAttributes(typeof(SetUpAttribute), true).Length > 0).ToArray();
            var tearDown = methods.Where(m => m.GetCustomAttributes(typeof(TearDownAttribute), true).Length > 0).ToArray();
            foreach (var test in methods.Where(m => m.GetCustomAttributes(typeof(TestAttribute), true).Length > 0).OrderBy(m => m.MetadataToken))
            {
                string name = type.Name + "." + test.Name;
                var started = DateTime.UtcNow;
                try
                {
                    var fixture = Activator.CreateInstance(type);
                    foreach (var m in setUp) m.Invoke(fixture, null);
                    try
                    {
                        test.Invoke(fixture, null);
                    }
                    finally
                    {
                        foreach (var m in tearDown) m.Invoke(fixture, null);
                    }
                    passed++;
                    Console.WriteLine("PASS " + name + " (" + (int)(DateTime.UtcNow - started).TotalMilliseconds + " ms)");
                }
                catch (TargetInvocationException e)
                {
                    failed++;
                    Console.WriteLine("FAIL " + name + ": " + e.InnerException.Message.Replace("\n", "\n     "));
                    Console.Error.WriteLine(e.InnerException);
                }
            }
        }
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 && passed > 0 ? 0 : 1;
    }
}
