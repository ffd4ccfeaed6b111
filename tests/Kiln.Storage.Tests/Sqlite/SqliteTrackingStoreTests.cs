using Kiln.Core.Tracking;
using Kiln.Storage.Sqlite.Tracking;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteTrackingStoreTests : TrackingStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override ITrackingStore CreateStore() => new SqliteTrackingStore(_database.Database, "mlflow-artifacts:", TimeProvider.System);

    public void Dispose() => _database.Dispose();
}
