using Kiln.Core.Training;
using Kiln.Storage.Sqlite.Training;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteTrainingJobStoreTests : TrainingJobStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override ITrainingJobStore CreateStore() => new SqliteTrainingJobStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
