using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;

namespace Kiln.Core.Pipelines;

public interface IPipelineStore
{
    Task<bool> AddAsync(Pipeline pipeline, CancellationToken ct = default);

    Task<Pipeline?> FindAsync(string name, CancellationToken ct = default);

    Task<Pipeline?> UpdateAsync(string name, Func<Pipeline, Pipeline?> change, CancellationToken ct = default);

    Task<bool> DeleteAsync(string name, CancellationToken ct = default);

    Task<Page<Pipeline>> ListAsync(ListQuery query, CancellationToken ct = default);
}

public interface IPipelineExecutionStore
{
    Task<bool> AddAsync(PipelineExecution execution, CancellationToken ct = default);

    Task<PipelineExecution?> FindAsync(string id, CancellationToken ct = default);

    Task<PipelineExecution?> UpdateAsync(string id, Func<PipelineExecution, PipelineExecution?> change, CancellationToken ct = default);

    /// <summary>A pipeline's executions, newest first.</summary>
    Task<IReadOnlyList<PipelineExecution>> ListAsync(string pipelineName, CancellationToken ct = default);
}
