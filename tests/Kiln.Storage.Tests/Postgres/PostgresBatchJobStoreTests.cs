using Kiln.Core.Processing;
using Kiln.Core.Transform;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Processing;
using Kiln.Storage.Postgres.Transform;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresProcessingJobStoreTests(PostgresTestDatabase database) : ProcessingJobStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IProcessingJobStore CreateStore() => new PostgresProcessingJobStore(_database);
}

[RequiresPostgres]
public sealed class PostgresTransformJobStoreTests(PostgresTestDatabase database) : TransformJobStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override ITransformJobStore CreateStore() => new PostgresTransformJobStore(_database);
}
