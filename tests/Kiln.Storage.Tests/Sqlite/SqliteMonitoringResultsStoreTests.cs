using Kiln.Core.Monitoring;
using Kiln.Storage.Sqlite.Monitoring;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteMonitoringResultsStoreTests : MonitoringResultsStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IMonitoringResultsStore CreateStore() => new SqliteMonitoringResultsStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
