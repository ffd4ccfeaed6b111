using Kiln.Core.Objects;
using Kiln.Storage.Sqlite.Objects;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteObjectIndexTests : ObjectIndexContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IObjectIndex CreateIndex() => new SqliteObjectIndex(_database.Database);

    public void Dispose() => _database.Dispose();
}
