using Kiln.Core.Common;
using Kiln.Core.Pipelines;
using Kiln.Pipelines;

namespace Kiln.Studio.Data.Pipelines;

/// <summary>The pipeline pages' questions, asked of the pipeline service in process.</summary>
public sealed class PipelineQuery(PipelineService pipelines)
{
    public async Task<IReadOnlyList<Pipeline>> ListAsync(CancellationToken ct = default)
    {
        var all = new List<Pipeline>();
        string? token = null;
        do
        {
            var page = await pipelines.ListAsync(new ListQuery(SortBy: ListSort.Name, Ascending: true, MaxResults: 100, PageToken: token), ct);
            all.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);
        return all;
    }

    /// <summary>The pipeline and its executions, latest first; null when there is no such pipeline.</summary>
    public async Task<(Pipeline Pipeline, IReadOnlyList<PipelineExecution> Executions)?> LoadAsync(string name, CancellationToken ct = default)
    {
        try
        {
            var pipeline = await pipelines.DescribeAsync(name, ct);
            var executions = await pipelines.ListExecutionsAsync(name, ct);
            return (pipeline, executions.OrderByDescending(e => e.CreationTime).ToList());
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return null;
        }
    }

    /// <summary>The execution of that pipeline; null when there is none with that id (or it belongs to another pipeline).</summary>
    public async Task<PipelineExecution?> ExecutionAsync(string pipelineName, string id, CancellationToken ct = default)
    {
        try
        {
            var execution = await pipelines.DescribeExecutionAsync(id, ct);
            return execution.PipelineName == pipelineName ? execution : null;
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return null;
        }
    }

    /// <summary>Changes whenever the execution page's live region would render differently.</summary>
    public static string Fingerprint(PipelineExecution execution) =>
        $"{execution.Status}:{execution.LastModifiedTime.ToUnixTimeMilliseconds()}:" +
        string.Join(',', execution.Steps.Select(step => $"{step.Name}={step.Status}/{step.AttemptCount}"));
}
