using Kiln.Core.Registry;
using Kiln.Storage.Sqlite.Registry;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteModelPackageStoreTests : ModelPackageStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IModelPackageStore CreateStore() => new SqliteModelPackageStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
