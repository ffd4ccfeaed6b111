using Kiln.Core.Security.Audit;
using Kiln.Storage.Sqlite.Security;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteAuditStoreTests : AuditStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IAuditStore CreateStore() => new SqliteAuditStore(_database.Database);

    protected override Task TamperAsync(string sql) => _database.Database.WriteAsync(session =>
    {
        session.Execute("DROP TRIGGER IF EXISTS audit_log_no_update");
        session.Execute("DROP TRIGGER IF EXISTS audit_log_no_delete");
        session.Execute(sql);
    });

    protected override Task ExecuteAsync(string sql) => _database.Database.WriteAsync(session => session.Execute(sql));

    public void Dispose() => _database.Dispose();
}
