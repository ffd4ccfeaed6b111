using Kiln.Core.Registry;
using Kiln.Storage.Sqlite.Registry;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteModelRegistryStoreTests : ModelRegistryStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IModelRegistryStore CreateStore() => new SqliteModelRegistryStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
