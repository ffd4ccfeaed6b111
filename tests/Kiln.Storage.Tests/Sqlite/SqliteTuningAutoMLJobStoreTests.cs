using Kiln.Core.AutoML;
using Kiln.Core.Tuning;
using Kiln.Storage.Sqlite.AutoML;
using Kiln.Storage.Sqlite.Tuning;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteTuningJobStoreTests : TuningJobStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override ITuningJobStore CreateStore() => new SqliteTuningJobStore(_database.Database);

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteAutoMLJobStoreTests : AutoMLJobStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IAutoMLJobStore CreateStore() => new SqliteAutoMLJobStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
