using Kiln.Core.Pipelines;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Pipelines;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresPipelineStoreTests(PostgresTestDatabase database) : PipelineStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IPipelineStore CreateStore() => new PostgresPipelineStore(_database);
}

[RequiresPostgres]
public sealed class PostgresPipelineExecutionStoreTests(PostgresTestDatabase database) : PipelineExecutionStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IPipelineExecutionStore CreateStore() => new PostgresPipelineExecutionStore(_database);
}
