using Kiln.Core.Common;
using Kiln.Core.Pipelines;
using Kiln.Core.Serving;

namespace Kiln.Storage.Postgres.Pipelines;

public sealed class PostgresPipelineStore(PostgresDatabase db) : IPipelineStore
{
    private readonly PostgresDocuments<Pipeline> _pipelines = new(db, "pipelines", p => p.Name, _ => "Active", p => p.CreationTime, p => p.LastModifiedTime);

    public Task<bool> AddAsync(Pipeline pipeline, CancellationToken ct = default) => _pipelines.AddAsync(pipeline, ct);

    public Task<Pipeline?> FindAsync(string name, CancellationToken ct = default) => _pipelines.FindAsync(name, ct);

    public Task<Pipeline?> UpdateAsync(string name, Func<Pipeline, Pipeline?> change, CancellationToken ct = default) => _pipelines.UpdateAsync(name, change, ct);

    public Task<bool> DeleteAsync(string name, CancellationToken ct = default) => _pipelines.DeleteAsync(name, ct);

    public Task<Page<Pipeline>> ListAsync(ListQuery query, CancellationToken ct = default) => _pipelines.ListAsync(query, ct);
}

public sealed class PostgresPipelineExecutionStore(PostgresDatabase db) : IPipelineExecutionStore
{
    private readonly PostgresDocuments<PipelineExecution> _executions = new(db, "pipeline_executions", e => e.Id, e => e.Status.ToString(), e => e.CreationTime, e => e.LastModifiedTime);

    public Task<bool> AddAsync(PipelineExecution execution, CancellationToken ct = default) => _executions.AddAsync(execution, ct);

    public Task<PipelineExecution?> FindAsync(string id, CancellationToken ct = default) => _executions.FindAsync(id, ct);

    public Task<PipelineExecution?> UpdateAsync(string id, Func<PipelineExecution, PipelineExecution?> change, CancellationToken ct = default) => _executions.UpdateAsync(id, change, ct);

    public Task<IReadOnlyList<PipelineExecution>> ListAsync(string pipelineName, CancellationToken ct = default) => _executions.WhereAsync("PipelineName", pipelineName, ct);
}
