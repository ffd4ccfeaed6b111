using System.Diagnostics;
using System.Globalization;

namespace Kiln.Api.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server of one test's own (initdb + pg_ctl on a temporary folder and a free port), so the test may
/// stop and restart it without disturbing the shared one. Run as the <c>postgres</c> user when the tests run as root
/// (initdb refuses root). <see cref="TryStartAsync"/> gives null, with the reason, when PostgreSQL is not installed.
/// </summary>
public sealed class OwnPostgres : IDisposable
{
    private readonly string _bin;
    private readonly string _root;
    private readonly bool _asPostgresUser;

    private OwnPostgres(string bin, string root, int port, bool asPostgresUser)
    {
        _bin = bin;
        _root = root;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    public int Port { get; }

    /// <summary>The <c>--store</c> URL of its <c>postgres</c> database.</summary>
    public string Url => $"postgres://postgres@127.0.0.1:{Port}/postgres";

    public static string? Bin =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(version => Path.Combine(version, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "pg_ctl")) && File.Exists(Path.Combine(bin, "initdb")))
                .OrderBy(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
                .LastOrDefault()
            : null;

    public static async Task<(OwnPostgres? Server, string? Skip)> TryStartAsync()
    {
        if (Bin is not { } bin)
        {
            return (null, "PostgreSQL's server binaries (/usr/lib/postgresql/*/bin/pg_ctl) are not installed: nothing to test here.");
        }

        var root = Path.Combine("/tmp", "kiln-own-postgres-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var asPostgres = Environment.UserName == "root";
        if (asPostgres)
        {
            await RunAsync("chown", ["postgres", root]);
        }

        var server = new OwnPostgres(bin, root, KilnProcess.FreePort(), asPostgres);
        await server.PgAsync("initdb", $"-D {root}/data -A trust -U postgres");
        await server.StartAsync();
        return (server, null);
    }

    public Task StartAsync() =>
        PgAsync("pg_ctl", $"-D {_root}/data -w -t 60 -l {_root}/server.log -o \"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=on\" start");

    /// <summary><c>pg_ctl stop -m fast</c>: open sessions are ended (57P01) and the server shuts down cleanly.</summary>
    public Task StopAsync() => PgAsync("pg_ctl", $"-D {_root}/data -w -m fast stop");

    public void Dispose()
    {
        try
        {
            PgAsync("pg_ctl", $"-D {_root}/data -m immediate stop").GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task PgAsync(string tool, string arguments)
    {
        var command = $"{Path.Combine(_bin, tool)} {arguments}";
        return _asPostgresUser ? RunAsync("su", ["postgres", "-c", command]) : RunAsync("sh", ["-c", command]);
    }

    private static async Task RunAsync(string file, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}
