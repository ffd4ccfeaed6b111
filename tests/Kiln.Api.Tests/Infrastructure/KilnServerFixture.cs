using Kiln.Server;
using Microsoft.AspNetCore.Builder;

namespace Kiln.Api.Tests.Infrastructure;

/// <summary>A real Kiln server (Kestrel on a free loopback port, SQLite and files in a temp folder) for one test class.</summary>
public class KilnServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "kiln-tests", Guid.NewGuid().ToString("N"));

    public Uri BaseAddress { get; private set; } = null!;

    public MlflowHttp Mlflow { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = KilnServer.Build(Options(new KilnServerOptions { Port = 0, DataDirectory = DataDirectory }));
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Addresses()[0] + "/");
        Mlflow = new MlflowHttp(BaseAddress);
    }

    /// <summary>A fixture for servers configured otherwise (smaller limits, …) changes the options here.</summary>
    protected virtual KilnServerOptions Options(KilnServerOptions defaults) => defaults;

    public async Task DisposeAsync()
    {
        Mlflow.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
