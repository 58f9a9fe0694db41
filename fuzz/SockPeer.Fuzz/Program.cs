using System.Runtime.InteropServices;
using SharpFuzz;

namespace SockPeer.Fuzz;

/// <summary>
/// Fuzz targets for the parsers of kernel and /proc input.
/// <code>
/// SockPeer.Fuzz TARGET                      under afl-fuzz: SharpFuzz's in-process fork server, input on stdin
/// SockPeer.Fuzz TARGET --replay PATH...     runs every file of each PATH (file or directory) through TARGET
/// SockPeer.Fuzz TARGET --coverage CLEAN_ENGINE_DLL PATH...   sites reached per method (engine instrumented with OnBranch)
/// SockPeer.Fuzz --list                      prints the target names
/// </code>
/// A target throws <see cref="FuzzFinding"/> when an oracle fails; any exception other than the ones a
/// parser documents is a finding too, and afl-fuzz saves the input under crashes/.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--list")
        {
            foreach (string name in Targets.All.Keys)
            {
                Console.WriteLine(name);
            }
            return 0;
        }
        if (args.Length == 0 || !Targets.All.TryGetValue(args[0], out Target? target))
        {
            Console.Error.WriteLine("usage: SockPeer.Fuzz TARGET [--replay PATH...]   (targets: " + string.Join(", ", Targets.All.Keys) + ")");
            return 2;
        }
        if (args.Length >= 2 && args[1] == "--replay")
        {
            return args.Length > 2 ? Replay(target, args[2..]) : Usage();
        }
        if (args.Length >= 4 && args[1] == "--coverage")
        {
            return RunCoverage(target, Targets.CodeUnderTest[args[0]], args[2], args[3..]);
        }
        if (args.Length != 1)
        {
            return Usage();
        }

        var input = new MemoryStream();
        Fuzzer.Run(stream =>
        {
            // Fuzzer.Run keeps one process: without this the first edge of a run would depend on where
            // the previous input ended, and afl-fuzz would see unstable edges.
            SharpFuzz.Common.Trace.PrevLocation = 0;
            input.SetLength(0);
            stream.CopyTo(input);
            target(input.GetBuffer().AsSpan(0, (int)input.Length));
        });
        return 0;
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: SockPeer.Fuzz TARGET [--replay PATH...]");
        return 2;
    }

    private static unsafe int RunCoverage(Target target, IReadOnlyList<string> types, string cleanEngine, string[] paths)
    {
        SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(65536);
        string[] files = paths.SelectMany(p => Directory.Exists(p)
            ? Directory.GetFiles(p).Where(f => !Path.GetFileName(f).StartsWith('.') && Path.GetFileName(f) != "README.txt")
            : [p]).ToArray();
        return Coverage.Run(target, cleanEngine, files, types);
    }

    /// <summary>Runs each file without the fuzzer; prints every failure with its stack; exit 1 if any failed.</summary>
    private static unsafe int Replay(Target target, string[] paths)
    {
        // An instrumented SockPeer.Engine.dll writes its branch counts here: give it a map when afl-fuzz does not.
        SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(65536);
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.GetFiles(path)
                    .Where(f => !Path.GetFileName(f).StartsWith('.') && !Path.GetFileName(f).Equals("README.txt", StringComparison.Ordinal))
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                Console.Error.WriteLine($"{path}: no such file or directory");
                return 2;
            }
        }
        int failed = 0;
        foreach (string file in files)
        {
            byte[] data = File.ReadAllBytes(file);
            try
            {
                target(data);
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine($"FAIL {file} ({data.Length} bytes): {e.GetType().FullName}: {e.Message}");
                Console.WriteLine(e.StackTrace);
            }
        }
        Console.WriteLine($"replayed {files.Count} files: {files.Count - failed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }
}
