using Kiln.Core.Monitoring;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Monitoring;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresMonitoringStoreTests(PostgresTestDatabase database) : MonitoringStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IMonitoringStore CreateStore() => new PostgresMonitoringStore(_database);
}

[RequiresPostgres]
public sealed class PostgresMonitoringResultsStoreTests(PostgresTestDatabase database) : MonitoringResultsStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IMonitoringResultsStore CreateStore() => new PostgresMonitoringResultsStore(_database);
}
