namespace Kiln.Api.Tests.Infrastructure;

/// <summary>
/// Debian's python3 runs the script-mode samples, the pipeline sample and the ONNX builder; they import
/// scikit-learn, pandas and onnx. A fresh machine has the interpreter but not those packages, so the first
/// test that needs them installs the Debian packages (as root, with apt) instead of failing on an import.
/// </summary>
public static class DebianPython
{
    public const string Interpreter = "/usr/bin/python3";

    private static readonly (string Module, string Package)[] Required =
    [
        ("sklearn", "python3-sklearn"),
        ("pandas", "python3-pandas"),
        ("joblib", "python3-joblib"),
        ("onnx", "python3-onnx"),
        ("boto3", "python3-boto3"),
    ];

    private static readonly Lazy<Task> Ready = new(EnsureInstalledAsync);

    /// <summary>Completes once Debian's python3 imports every required module; installs what is missing once per process.</summary>
    public static Task EnsureAsync() => Ready.Value;

    private static async Task EnsureInstalledAsync()
    {
        var missing = await MissingPackagesAsync();
        if (missing.Count == 0)
        {
            return;
        }

        if (!File.Exists("/usr/bin/apt-get") || Environment.UserName != "root")
        {
            throw new InvalidOperationException(
                $"The tests need Debian packages that are not installed: sudo apt-get install {string.Join(' ', missing)}");
        }

        // Several test processes may start at once; apt holds its own lock, so they take turns on a file lock.
        await using var gate = await AcquireLockAsync(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kiln-tests-apt.lock"));
        missing = await MissingPackagesAsync();
        if (missing.Count == 0)
        {
            return;
        }

        var work = System.IO.Path.GetTempPath();
        var (updateCode, updateOutput) = await Repository.RunAsync("apt-get", ["update", "-qq"], work, TimeSpan.FromMinutes(5));
        if (updateCode != 0)
        {
            throw new InvalidOperationException($"apt-get update failed ({updateCode}):\n{updateOutput}");
        }

        Environment.SetEnvironmentVariable("DEBIAN_FRONTEND", "noninteractive");
        var (code, output) = await Repository.RunAsync("apt-get", ["install", "-y", "-qq", .. missing], work, TimeSpan.FromMinutes(10));
        if (code != 0 || (await MissingPackagesAsync()).Count > 0)
        {
            throw new InvalidOperationException($"apt-get install {string.Join(' ', missing)} failed ({code}):\n{output}");
        }
    }

    private static async Task<List<string>> MissingPackagesAsync()
    {
        if (!File.Exists(Interpreter))
        {
            return ["python3", .. Required.Select(r => r.Package)];
        }

        var probe = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))";
        var (code, output) = await Repository.RunAsync(
            Interpreter, ["-c", probe, .. Required.Select(r => r.Module)], System.IO.Path.GetTempPath(), TimeSpan.FromMinutes(1));
        if (code != 0)
        {
            throw new InvalidOperationException($"{Interpreter} could not check its modules ({code}):\n{output}");
        }

        var absent = output.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        return Required.Where(r => absent.Contains(r.Module)).Select(r => r.Package).ToList();
    }

    private static async Task<FileStream> AcquireLockAsync(string path)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }
}
