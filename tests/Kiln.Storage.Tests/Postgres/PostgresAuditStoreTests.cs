using Kiln.Core.Security.Audit;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Security;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresAuditStoreTests(PostgresTestDatabase database) : AuditStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IAuditStore CreateStore() => new PostgresAuditStore(_database);

    protected override Task TamperAsync(string sql) => _database.WriteAsync(async session =>
    {
        await session.ExecuteAsync("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
        await session.ExecuteAsync(sql);
        await session.ExecuteAsync("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
    });

    protected override Task ExecuteAsync(string sql) => _database.WriteAsync(session => session.ExecuteAsync(sql));
}
