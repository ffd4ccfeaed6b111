using Kiln.Server;
using Microsoft.AspNetCore.Builder;

namespace Kiln.Api.Tests.Infrastructure;

/// <summary>A real Kiln server (Kestrel on a free loopback port, SQLite and files in a temp folder) for one test class.</summary>
public class KilnServerFixture : IAsyncLifetime
{
    private readonly Func<KilnServerOptions, KilnServerOptions> _configure;
    private WebApplication? _app;

    public KilnServerFixture()
        : this(options => options)
    {
    }

    /// <summary>A server started with options of its own (a derived fixture passes them).</summary>
    protected KilnServerFixture(Func<KilnServerOptions, KilnServerOptions> configure) => _configure = configure;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "kiln-tests", Guid.NewGuid().ToString("N"));

    public Uri BaseAddress { get; private set; } = null!;

    public MlflowHttp Mlflow { get; private set; } = null!;

    /// <summary>The running server's services (a derived fixture sets up what its tests need, such as users).</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The server has not started.");

    public virtual async Task InitializeAsync()
    {
        _app = await KilnServer.StartAsync(_configure(new KilnServerOptions { Port = 0, DataDirectory = DataDirectory }));
        BaseAddress = new Uri(_app.Addresses()[0] + "/");
        Mlflow = new MlflowHttp(BaseAddress);
    }

    public virtual async Task DisposeAsync()
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
