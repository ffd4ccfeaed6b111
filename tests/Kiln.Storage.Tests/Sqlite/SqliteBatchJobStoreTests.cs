using Kiln.Core.Processing;
using Kiln.Core.Serving;
using Kiln.Core.Transform;
using Kiln.Storage.Sqlite.Processing;
using Kiln.Storage.Sqlite.Serving;
using Kiln.Storage.Sqlite.Transform;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteProcessingJobStoreTests : ProcessingJobStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IProcessingJobStore CreateStore() => new SqliteProcessingJobStore(_database.Database);

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteTransformJobStoreTests : TransformJobStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override ITransformJobStore CreateStore() => new SqliteTransformJobStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
