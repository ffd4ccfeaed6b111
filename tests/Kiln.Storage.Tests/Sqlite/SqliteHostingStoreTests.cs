using Kiln.Core.Serving;
using Kiln.Storage.Sqlite.Serving;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteHostedModelStoreTests : HostedModelStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IServingStore CreateStore() => new SqliteServingStore(_database.Database);

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteEndpointConfigStoreTests : EndpointConfigStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IServingStore CreateStore() => new SqliteServingStore(_database.Database);

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteEndpointStoreTests : EndpointStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IServingStore CreateStore() => new SqliteServingStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
