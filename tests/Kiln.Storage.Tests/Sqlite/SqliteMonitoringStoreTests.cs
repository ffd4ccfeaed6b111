using Kiln.Core.Monitoring;
using Kiln.Storage.Sqlite.Monitoring;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteMonitoringStoreTests : MonitoringStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IMonitoringStore CreateStore() => new SqliteMonitoringStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
