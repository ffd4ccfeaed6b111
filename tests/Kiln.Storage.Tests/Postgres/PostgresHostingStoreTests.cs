using Kiln.Core.Serving;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Serving;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresHostedModelStoreTests(PostgresTestDatabase database) : HostedModelStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IServingStore CreateStore() => new PostgresServingStore(_database);
}

[RequiresPostgres]
public sealed class PostgresEndpointConfigStoreTests(PostgresTestDatabase database) : EndpointConfigStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IServingStore CreateStore() => new PostgresServingStore(_database);
}

[RequiresPostgres]
public sealed class PostgresEndpointStoreTests(PostgresTestDatabase database) : EndpointStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IServingStore CreateStore() => new PostgresServingStore(_database);
}
