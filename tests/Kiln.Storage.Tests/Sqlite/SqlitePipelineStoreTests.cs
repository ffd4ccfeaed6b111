using Kiln.Core.Pipelines;
using Kiln.Storage.Sqlite.Pipelines;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqlitePipelineStoreTests : PipelineStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IPipelineStore CreateStore() => new SqlitePipelineStore(_database.Database);

    public void Dispose() => _database.Dispose();
}

public sealed class SqlitePipelineExecutionStoreTests : PipelineExecutionStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IPipelineExecutionStore CreateStore() => new SqlitePipelineExecutionStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
