using Kiln.Core.Hosting;
using Kiln.Storage.Sqlite.Hosting;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteHostedModelStoreTests : HostedModelStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IHostingStore CreateStore() => new SqliteHostingStore(_database.Database);

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteEndpointConfigStoreTests : EndpointConfigStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IHostingStore CreateStore() => new SqliteHostingStore(_database.Database);

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteEndpointStoreTests : EndpointStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IHostingStore CreateStore() => new SqliteHostingStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
