using Kiln.Core.Common;
using Kiln.Core.Processing;

namespace Kiln.Core.Monitoring;

/// <summary>
/// The baseline an execution compares with. A definition names its files (ConstraintsResource, StatisticsResource)
/// or only the baselining job that wrote them (BaseliningJobName): the SageMaker Python SDK's monitors send just the
/// job's name when the baseline came from their own suggest_baseline, and the files are then read from where that
/// job wrote them (its first output: constraints.json and statistics.json from the analyzer, analysis.json from Clarify).
/// </summary>
public sealed partial class MonitoringExecutor
{
    private sealed record BaselineFiles(string? ConstraintsUri, string? StatisticsUri);

    private async Task<BaselineFiles> BaselineAsync(MonitorJobDefinition definition, CancellationToken ct)
    {
        if (definition.BaselineConstraintsUri is not null || definition.BaseliningJobName is not { } jobName)
        {
            return new BaselineFiles(definition.BaselineConstraintsUri, definition.BaselineStatisticsUri);
        }

        var job = await processing.DescribeAsync(jobName, ct).ConfigureAwait(false);
        if (job.Status != ProcessingJobStatus.Completed)
        {
            throw KilnException.InvalidParameter($"The baselining job {jobName} of job definition {definition.Name} is {job.Status}, not Completed: it has no baseline to compare with.");
        }

        if (job.Spec.Outputs is not [var output, ..])
        {
            throw KilnException.InvalidParameter($"The baselining job {jobName} of job definition {definition.Name} has no output to read its baseline from.");
        }

        var folder = output.Uri.TrimEnd('/');
        return definition.Clarify is not null
            ? new BaselineFiles($"{folder}/analysis.json", null)
            : new BaselineFiles($"{folder}/constraints.json", definition.BaselineStatisticsUri ?? $"{folder}/statistics.json");
    }
}
