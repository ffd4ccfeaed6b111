using Kiln.Core.AutoML;
using Kiln.Core.Tuning;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.AutoML;
using Kiln.Storage.Postgres.Tuning;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresTuningJobStoreTests(PostgresTestDatabase database) : TuningJobStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override ITuningJobStore CreateStore() => new PostgresTuningJobStore(_database);
}

[RequiresPostgres]
public sealed class PostgresAutoMLJobStoreTests(PostgresTestDatabase database) : AutoMLJobStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IAutoMLJobStore CreateStore() => new PostgresAutoMLJobStore(_database);
}
