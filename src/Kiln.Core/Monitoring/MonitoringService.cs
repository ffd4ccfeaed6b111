using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Core.Monitoring;

/// <summary>Model Monitor's control plane: job definitions (one name space for every monitoring type), monitoring schedules and the list of their executions.</summary>
public sealed class MonitoringService(
    IMonitoringStore store, IServingStore serving, TimeProvider clock, IMonitoringResultsStore results, IEnumerable<IMonitoringScheduleCheck>? checks = null)
{
    public async Task<MonitorJobDefinition> CreateJobDefinitionAsync(MonitorJobDefinition definition, CancellationToken ct = default)
    {
        await ValidateJobDefinitionAsync(definition, ct).ConfigureAwait(false);
        if (!await store.AddJobDefinitionAsync(definition, ct).ConfigureAwait(false))
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"Job definition {definition.Name} already exists: job definition names are unique across all monitoring types.");
        }

        return definition;
    }

    /// <summary>What a job definition must be, named or given inline with a schedule: its data captured, its offsets and outputs valid.</summary>
    private async Task ValidateJobDefinitionAsync(MonitorJobDefinition definition, CancellationToken ct)
    {
        var type = definition.MonitoringType;
        await CapturedDataUriAsync(definition, ct).ConfigureAwait(false);
        ScheduleExpressions.ParseOffset($"{type}JobInput.EndpointInput.StartTimeOffset", definition.StartTimeOffset, TimeSpan.Zero);
        ScheduleExpressions.ParseOffset($"{type}JobInput.EndpointInput.EndTimeOffset", definition.EndTimeOffset, TimeSpan.Zero);
        if (definition.Outputs.Count == 0)
        {
            throw KilnException.InvalidParameter($"{type}JobOutputConfig.MonitoringOutputs needs one output: where the reports go.");
        }

        if (type == MonitoringTypes.ModelQuality)
        {
            CheckModelQuality(definition.ModelQuality);
        }
    }

    /// <summary>What an execution of the schedule runs: its inline job definition, or the one it names.</summary>
    public Task<MonitorJobDefinition> JobDefinitionOfAsync(MonitoringSchedule schedule, CancellationToken ct = default) =>
        schedule.InlineDefinition is { } inline ? Task.FromResult(inline) : DescribeJobDefinitionAsync(schedule.JobDefinitionName, ct);

    /// <summary>The job definition; with <paramref name="monitoringType"/>, one of that type only (another type's is not found, as SageMaker's per-type APIs answer).</summary>
    public Task<MonitorJobDefinition> DescribeJobDefinitionAsync(string name, CancellationToken ct = default) => DescribeJobDefinitionAsync(name, null, ct);

    public async Task<MonitorJobDefinition> DescribeJobDefinitionAsync(string name, string? monitoringType, CancellationToken ct = default) =>
        await store.FindJobDefinitionAsync(name, ct).ConfigureAwait(false) is { } found && (monitoringType is null || found.MonitoringType == monitoringType)
            ? found
            : throw KilnException.NotFound($"Could not find {(monitoringType is null ? "" : monitoringType + " ")}job definition {name}.");

    public async Task DeleteJobDefinitionAsync(string name, string monitoringType, CancellationToken ct = default)
    {
        await DescribeJobDefinitionAsync(name, monitoringType, ct).ConfigureAwait(false);
        var users = (await store.AllSchedulesAsync(ct).ConfigureAwait(false)).Where(schedule => schedule.JobDefinitionName == name).Select(schedule => schedule.Name).ToList();
        if (users.Count > 0)
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"Job definition {name} is used by monitoring schedule(s) {string.Join(", ", users)}; delete them first.");
        }

        await store.DeleteJobDefinitionAsync(name, ct).ConfigureAwait(false);
    }

    public async Task<Page<MonitorJobDefinition>> ListJobDefinitionsAsync(ListQuery query, string? endpointName, string monitoringType, CancellationToken ct = default)
    {
        var all = await store.AllJobDefinitionsAsync(ct).ConfigureAwait(false);
        var matching = all
            .Where(definition => definition.MonitoringType == monitoringType)
            .Where(definition => endpointName is null || definition.EndpointName == endpointName)
            .Where(definition => Matches(query, definition.Name, definition.CreationTime, definition.CreationTime, null));
        return PageToken.Slice(Sort(matching, query, definition => definition.Name, definition => definition.CreationTime, _ => ""), query.PageToken, query.MaxResults);
    }

    public Task<MonitoringSchedule> CreateScheduleAsync(string name, ScheduleSpec schedule, string jobDefinitionName, string monitoringType, IReadOnlyList<Tracking.Tag> tags, CancellationToken ct = default) =>
        CreateScheduleAsync(name, schedule, jobDefinitionName, null, monitoringType, tags, ct);

    /// <summary>A data quality schedule with its job definition given inline (MonitoringScheduleConfig.MonitoringJobDefinition), as SageMaker allows.</summary>
    public Task<MonitoringSchedule> CreateScheduleAsync(string name, ScheduleSpec schedule, MonitorJobDefinition inline, IReadOnlyList<Tracking.Tag> tags, CancellationToken ct = default) =>
        CreateScheduleAsync(name, schedule, "", inline, MonitoringTypes.DataQuality, tags, ct);

    private async Task<MonitoringSchedule> CreateScheduleAsync(
        string name, ScheduleSpec schedule, string jobDefinitionName, MonitorJobDefinition? inline, string monitoringType, IReadOnlyList<Tracking.Tag> tags, CancellationToken ct)
    {
        var definition = await CheckAsync(schedule, jobDefinitionName, inline, monitoringType, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        var created = new MonitoringSchedule
        {
            Name = name,
            Schedule = schedule,
            JobDefinitionName = jobDefinitionName,
            InlineDefinition = inline,
            MonitoringType = monitoringType,
            EndpointName = definition.EndpointName,
            CreationTime = now,
            LastModifiedTime = now,
            RunNowPending = schedule.Expression == ScheduleExpressions.Now,
            RunNowTime = schedule.Expression == ScheduleExpressions.Now ? now : null,
            Tags = tags,
        };
        foreach (var check in checks ?? [])
        {
            await check.CheckAsync(created, ct).ConfigureAwait(false);
        }

        if (!await store.AddScheduleAsync(created, ct).ConfigureAwait(false))
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"Monitoring schedule {name} already exists.");
        }

        return created;
    }

    public async Task<MonitoringSchedule> DescribeScheduleAsync(string name, CancellationToken ct = default) =>
        await store.FindScheduleAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Could not find monitoring schedule {name}.");

    public Task<MonitoringSchedule> UpdateScheduleAsync(string name, ScheduleSpec schedule, string jobDefinitionName, string monitoringType, CancellationToken ct = default) =>
        UpdateScheduleAsync(name, schedule, jobDefinitionName, null, monitoringType, ct);

    public Task<MonitoringSchedule> UpdateScheduleAsync(string name, ScheduleSpec schedule, MonitorJobDefinition inline, CancellationToken ct = default) =>
        UpdateScheduleAsync(name, schedule, "", inline, MonitoringTypes.DataQuality, ct);

    private async Task<MonitoringSchedule> UpdateScheduleAsync(string name, ScheduleSpec schedule, string jobDefinitionName, MonitorJobDefinition? inline, string monitoringType, CancellationToken ct)
    {
        await DescribeScheduleAsync(name, ct).ConfigureAwait(false);
        var definition = await CheckAsync(schedule, jobDefinitionName, inline, monitoringType, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        return await store.UpdateScheduleAsync(name, current => current with
        {
            Schedule = schedule,
            JobDefinitionName = jobDefinitionName,
            InlineDefinition = inline,
            MonitoringType = monitoringType,
            EndpointName = definition.EndpointName,
            LastModifiedTime = now,
            RunNowPending = schedule.Expression == ScheduleExpressions.Now,
            RunNowTime = schedule.Expression == ScheduleExpressions.Now ? now : null,
        }, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"Could not find monitoring schedule {name}.");
    }

    /// <summary>
    /// Kiln's run-now: one execution at once, the schedule's expression kept (UpdateMonitoringSchedule to NOW, SageMaker's
    /// way, would replace a cron expression for good). A stopped schedule runs nothing: start it first.
    /// </summary>
    public async Task<MonitoringSchedule> RunNowAsync(string name, CancellationToken ct = default)
    {
        var updated = await store.UpdateScheduleAsync(name, current => current.Status == MonitoringScheduleStatus.Scheduled
            ? current with { RunNowPending = true, LastModifiedTime = clock.GetUtcNow() }
            : null, ct).ConfigureAwait(false);
        if (updated is not null)
        {
            return updated;
        }

        var schedule = await DescribeScheduleAsync(name, ct).ConfigureAwait(false);
        throw KilnException.InvalidParameter($"Monitoring schedule {name} is {schedule.Status}: start it (StartMonitoringSchedule) before running it.");
    }

    /// <summary>The schedule's latest execution that wrote reports (newest scheduled first), or null when none has.</summary>
    public async Task<MonitoringExecution?> LatestReportedExecutionAsync(string name, CancellationToken ct = default)
    {
        await DescribeScheduleAsync(name, ct).ConfigureAwait(false);
        return (await store.ExecutionsAsync(name, ct).ConfigureAwait(false))
            .Where(execution => execution.IsFinished && execution.ReportUri is not null && execution.ProcessingJobName is not null)
            .MaxBy(execution => execution.ScheduledTime);
    }

    /// <summary>Deletes a schedule with its executions, and (as SageMaker forgets them) its alerts, their history and its metric series.</summary>
    public async Task DeleteScheduleAsync(string name, CancellationToken ct = default)
    {
        if (!await store.DeleteScheduleAsync(name, ct).ConfigureAwait(false))
        {
            throw KilnException.NotFound($"Could not find monitoring schedule {name}.");
        }

        await results.DeleteScheduleAsync(name, ct).ConfigureAwait(false);
    }

    public Task StartScheduleAsync(string name, CancellationToken ct = default) =>
        SetStatusAsync(name, current => current with
        {
            Status = MonitoringScheduleStatus.Scheduled,
            RunNowPending = current.Status == MonitoringScheduleStatus.Stopped && current.Schedule.Expression == ScheduleExpressions.Now,
            RunNowTime = current.Status == MonitoringScheduleStatus.Stopped && current.Schedule.Expression == ScheduleExpressions.Now ? clock.GetUtcNow() : current.RunNowTime,
            LastScheduledTime = current.Status == MonitoringScheduleStatus.Stopped ? clock.GetUtcNow() : current.LastScheduledTime,
        }, ct);

    public Task StopScheduleAsync(string name, CancellationToken ct = default) =>
        SetStatusAsync(name, current => current with { Status = MonitoringScheduleStatus.Stopped, RunNowPending = false, RunNowTime = null }, ct);

    public async Task<Page<MonitoringSchedule>> ListSchedulesAsync(ListQuery query, string? endpointName, string? jobDefinitionName, string? monitoringType, CancellationToken ct = default)
    {
        var all = await store.AllSchedulesAsync(ct).ConfigureAwait(false);
        var matching = all
            .Where(schedule => monitoringType is null || schedule.MonitoringType == monitoringType)
            .Where(schedule => endpointName is null || schedule.EndpointName == endpointName)
            .Where(schedule => jobDefinitionName is null || schedule.JobDefinitionName == jobDefinitionName)
            .Where(schedule => Matches(query, schedule.Name, schedule.CreationTime, schedule.LastModifiedTime, schedule.Status.ToString()));
        return PageToken.Slice(Sort(matching, query, schedule => schedule.Name, schedule => schedule.CreationTime, schedule => schedule.Status.ToString()), query.PageToken, query.MaxResults);
    }

    /// <summary>Executions, filtered like ListMonitoringExecutions; <paramref name="byScheduledTime"/> sorts by ScheduledTime instead of the query's key.</summary>
    public async Task<Page<MonitoringExecution>> ListExecutionsAsync(ListQuery query, ExecutionFilter filter, bool byScheduledTime, CancellationToken ct = default)
    {
        var all = await store.ExecutionsAsync(filter.ScheduleName, ct).ConfigureAwait(false);
        var matching = all
            .Where(execution => filter.EndpointName is null || execution.EndpointName == filter.EndpointName)
            .Where(execution => filter.JobDefinitionName is null || execution.JobDefinitionName == filter.JobDefinitionName)
            .Where(execution => filter.MonitoringType is null || execution.MonitoringType == filter.MonitoringType)
            .Where(execution => filter.ScheduledAfter is not { } after || execution.ScheduledTime > after)
            .Where(execution => filter.ScheduledBefore is not { } before || execution.ScheduledTime < before)
            .Where(execution => Matches(query, null, execution.CreationTime, execution.LastModifiedTime, execution.Status.ToString()));
        var sorted = byScheduledTime
            ? (query.Ascending ? matching.OrderBy(execution => execution.ScheduledTime) : matching.OrderByDescending(execution => execution.ScheduledTime)).ToList()
            : Sort(matching, query, execution => execution.Name, execution => execution.CreationTime, execution => execution.Status.ToString());
        return PageToken.Slice(sorted, query.PageToken, query.MaxResults);
    }

    /// <summary>Where the endpoint captures its traffic; a ValidationException when it does not exist or captures nothing.</summary>
    public async Task<string> CaptureUriAsync(string endpointName, CancellationToken ct = default)
    {
        var endpoint = await serving.FindEndpointAsync(endpointName, ct).ConfigureAwait(false)
            ?? throw KilnException.InvalidParameter($"Could not find endpoint \"{endpointName}\": a data quality monitor reads an existing endpoint's captured data.");
        var config = await serving.FindConfigAsync(endpoint.ConfigName, ct).ConfigureAwait(false);
        return config?.DataCapture is { Enabled: true, CaptureInput: true } capture
            ? capture.DestinationUri
            : throw KilnException.InvalidParameter($"Endpoint \"{endpointName}\" does not capture its input data: enable DataCaptureConfig (with CaptureMode Input) on its endpoint config before monitoring it.");
    }

    /// <summary>Where the definition's data is captured: the batch transform capture's destination, or the endpoint's capture URI (<see cref="CaptureUriAsync(string, CancellationToken)"/>).</summary>
    public async Task<string> CapturedDataUriAsync(MonitorJobDefinition definition, CancellationToken ct = default)
    {
        if (definition.BatchTransform is not { } batch)
        {
            return await CaptureUriAsync(definition.EndpointName, ct).ConfigureAwait(false);
        }

        return batch.DestinationS3Uri.StartsWith("s3://", StringComparison.Ordinal)
            ? batch.DestinationS3Uri
            : throw KilnException.InvalidParameter($"BatchTransformInput.DataCapturedDestinationS3Uri must be an s3:// URI (it is '{batch.DestinationS3Uri}').");
    }

    private async Task<MonitorJobDefinition> CheckAsync(ScheduleSpec schedule, string jobDefinitionName, MonitorJobDefinition? inline, string monitoringType, CancellationToken ct)
    {
        ScheduleExpressions.Parse(schedule.Expression);
        var start = ScheduleExpressions.ParseOffset("ScheduleConfig.DataAnalysisStartTime", schedule.DataAnalysisStartTime, TimeSpan.FromHours(-1));
        var end = ScheduleExpressions.ParseOffset("ScheduleConfig.DataAnalysisEndTime", schedule.DataAnalysisEndTime, TimeSpan.Zero);
        if (start >= end)
        {
            throw KilnException.InvalidParameter($"ScheduleConfig.DataAnalysisStartTime ({schedule.DataAnalysisStartTime}) must come before DataAnalysisEndTime ({schedule.DataAnalysisEndTime ?? "-PT0H"}).");
        }

        if (inline is not null)
        {
            await ValidateJobDefinitionAsync(inline, ct).ConfigureAwait(false);
            return inline;
        }

        var definition = await store.FindJobDefinitionAsync(jobDefinitionName, ct).ConfigureAwait(false)
            ?? throw KilnException.InvalidParameter($"Could not find job definition {jobDefinitionName}: create it with Create{monitoringType}JobDefinition first.");
        if (definition.MonitoringType != monitoringType)
        {
            throw KilnException.InvalidParameter(
                $"Job definition {jobDefinitionName} is a {definition.MonitoringType} job definition, but MonitoringScheduleConfig.MonitoringType is {monitoringType}: they must match.");
        }

        await CapturedDataUriAsync(definition, ct).ConfigureAwait(false);
        return definition;
    }

    private static void CheckModelQuality(ModelQualitySpec? spec)
    {
        if (spec is null)
        {
            throw KilnException.InvalidParameter("A ModelQuality job definition needs ModelQualityAppSpecification.ProblemType and ModelQualityJobInput.GroundTruthS3Input.");
        }

        if (!ProblemTypes.All.Contains(spec.ProblemType))
        {
            throw KilnException.InvalidParameter($"ModelQualityAppSpecification.ProblemType '{spec.ProblemType}' is not one of {string.Join(", ", ProblemTypes.All)}.");
        }

        if (!spec.GroundTruthS3Uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter($"ModelQualityJobInput.GroundTruthS3Input.S3Uri must be an s3:// URI (it is '{spec.GroundTruthS3Uri}').");
        }

        if (spec.ProbabilityThresholdAttribute is { } threshold && threshold is < 0 or > 1)
        {
            throw KilnException.InvalidParameter($"EndpointInput.ProbabilityThresholdAttribute must be between 0 and 1 (it is {threshold}).");
        }
    }

    private async Task SetStatusAsync(string name, Func<MonitoringSchedule, MonitoringSchedule> change, CancellationToken ct)
    {
        if (await store.UpdateScheduleAsync(name, current => change(current) with { LastModifiedTime = clock.GetUtcNow() }, ct).ConfigureAwait(false) is null)
        {
            throw KilnException.NotFound($"Could not find monitoring schedule {name}.");
        }
    }

    private static bool Matches(ListQuery query, string? name, DateTimeOffset created, DateTimeOffset modified, string? status) =>
        (query.NameContains is not { Length: > 0 } contains || (name ?? "").Contains(contains, StringComparison.OrdinalIgnoreCase))
        && (query.Status is null || query.Status == status)
        && (query.CreatedAfter is not { } createdAfter || created > createdAfter)
        && (query.CreatedBefore is not { } createdBefore || created < createdBefore)
        && (query.ModifiedAfter is not { } modifiedAfter || modified > modifiedAfter)
        && (query.ModifiedBefore is not { } modifiedBefore || modified < modifiedBefore);

    private static List<T> Sort<T>(IEnumerable<T> items, ListQuery query, Func<T, string> name, Func<T, DateTimeOffset> created, Func<T, string> status)
    {
        IOrderedEnumerable<T> ordered = query.SortBy switch
        {
            ListSort.Name => query.Ascending ? items.OrderBy(name, StringComparer.Ordinal) : items.OrderByDescending(name, StringComparer.Ordinal),
            ListSort.Status => query.Ascending ? items.OrderBy(status, StringComparer.Ordinal) : items.OrderByDescending(status, StringComparer.Ordinal),
            _ => query.Ascending ? items.OrderBy(created) : items.OrderByDescending(created),
        };
        return (query.Ascending ? ordered.ThenBy(name, StringComparer.Ordinal) : ordered.ThenByDescending(name, StringComparer.Ordinal)).ToList();
    }
}

/// <summary>ListMonitoringExecutions' filters beyond the common ones.</summary>
public sealed record ExecutionFilter(string? ScheduleName = null, string? EndpointName = null, string? JobDefinitionName = null, DateTimeOffset? ScheduledAfter = null, DateTimeOffset? ScheduledBefore = null, string? MonitoringType = null);
