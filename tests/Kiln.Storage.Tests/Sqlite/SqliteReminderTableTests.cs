using Kiln.Jobs.Reminders;
using Kiln.Storage.Tests.Contracts;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteReminderTableTests : ReminderTableContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IReminderTable CreateTable(string serviceId) =>
        new SqliteReminderTable(_database.Database, Options.Create(new ClusterOptions { ServiceId = serviceId, ClusterId = "test" }));

    public void Dispose() => _database.Dispose();
}
