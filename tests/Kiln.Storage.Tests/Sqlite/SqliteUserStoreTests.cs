using Kiln.Core.Security;
using Kiln.Storage.Sqlite.Security;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteUserStoreTests : UserStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IUserStore CreateStore() => new SqliteUserStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
