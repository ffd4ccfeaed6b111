using Kiln.Core.Security.Permissions;
using Kiln.Storage.Sqlite.Security;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqlitePermissionStoreTests : PermissionStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IPermissionStore CreateStore() => new SqlitePermissionStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
