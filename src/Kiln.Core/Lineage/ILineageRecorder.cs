using Kiln.Core.Common;
using Kiln.Core.Tracking;

namespace Kiln.Core.Lineage;

/// <summary>Records what the platform did: runners call it when a job ends; it links data, code, jobs, models and endpoints.</summary>
public interface ILineageRecorder
{
    /// <summary>A finished job: its inputs contributed to it, it produced its outputs.</summary>
    Task<string> RecordJobAsync(string jobName, string jobType, string region, IReadOnlyList<LineageData> inputs, IReadOnlyList<LineageData> outputs, IReadOnlyDictionary<string, string> properties, CancellationToken ct = default);

    /// <summary>A model package registered from the model at <paramref name="modelDataUrl"/>.</summary>
    Task RecordModelPackageAsync(string packageArn, string modelDataUrl, string region, CancellationToken ct = default);

    /// <summary>An endpoint now serving the models at these URLs (and, when deployed by an approval, this package).</summary>
    Task RecordEndpointAsync(string endpointName, string region, IReadOnlyList<string> modelDataUrls, string? packageArn, CancellationToken ct = default);

    /// <summary>A pipeline execution ran this job (as one of its steps).</summary>
    Task RecordPipelineStepAsync(string pipelineName, string executionId, string region, string jobTrialComponentArn, CancellationToken ct = default);
}
