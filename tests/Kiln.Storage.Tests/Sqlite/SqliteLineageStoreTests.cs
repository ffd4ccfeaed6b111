using Kiln.Core.Lineage;
using Kiln.Storage.Sqlite.Lineage;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteLineageStoreTests : LineageStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override ILineageStore CreateStore() => new SqliteLineageStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
