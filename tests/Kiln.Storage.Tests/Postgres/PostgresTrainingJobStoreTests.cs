using Kiln.Core.Training;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Training;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresTrainingJobStoreTests(PostgresTestDatabase database) : TrainingJobStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override ITrainingJobStore CreateStore() => new PostgresTrainingJobStore(_database);
}
