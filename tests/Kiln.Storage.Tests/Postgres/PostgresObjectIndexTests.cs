using Kiln.Core.Objects;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Objects;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresObjectIndexTests(PostgresTestDatabase database) : ObjectIndexContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IObjectIndex CreateIndex() => new PostgresObjectIndex(_database);
}
