using Kiln.Core.Tracking;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Tracking;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresTrackingStoreTests(PostgresTestDatabase database) : TrackingStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override ITrackingStore CreateStore() => new PostgresTrackingStore(_database, "mlflow-artifacts:", TimeProvider.System);
}
