using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Objects;
using Kiln.Core.Processing;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Monitoring;

/// <summary>
/// Moves schedules and executions forward, one tick at a time. All of its state is in the store (a schedule's last
/// scheduled time, each execution's status and processing job), so a tick after a restart carries on where the last
/// node stopped: a due schedule gets its execution, a pending execution gets its processing job (named after the
/// execution, so starting it twice is harmless), a running one follows its job.
/// </summary>
public sealed partial class MonitoringExecutor(
    IMonitoringStore store,
    MonitoringService monitoring,
    ProcessingJobService processing,
    ObjectStore objects,
    IEnumerable<IMonitoringExecutionListener> listeners,
    TimeProvider clock,
    ILogger<MonitoringExecutor> logger)
{
    public const string AnalyzerImage = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer";

    private const string BaselineRoot = "/opt/ml/processing/baseline";

    public async Task TickAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var schedule in await store.AllSchedulesAsync(ct).ConfigureAwait(false))
        {
            if (schedule.Status == MonitoringScheduleStatus.Scheduled && Due(schedule, now) is { } due)
            {
                await StartExecutionAsync(schedule, due, now, ct).ConfigureAwait(false);
            }
        }

        foreach (var execution in await store.UnfinishedExecutionsAsync(ct).ConfigureAwait(false))
        {
            try
            {
                await AdvanceAsync(execution, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogAdvanceFailed(logger, execution.Name, e);
            }
        }
    }

    /// <summary>When the schedule's next execution is due, if it is by <paramref name="now"/>: at once for NOW, else the latest cron occurrence since the last one (missed ones are skipped, as SageMaker does).</summary>
    internal static DateTimeOffset? Due(MonitoringSchedule schedule, DateTimeOffset now)
    {
        if (schedule.RunNowPending)
        {
            return schedule.RunNowTime ?? now;
        }

        if (ScheduleExpressions.Parse(schedule.Schedule.Expression) is not { } cron)
        {
            return null;
        }

        DateTimeOffset? latest = null;
        foreach (var occurrence in cron.GetOccurrences(schedule.LastScheduledTime ?? schedule.CreationTime, now, TimeZoneInfo.Utc, fromInclusive: false, toInclusive: true))
        {
            latest = occurrence;
        }

        return latest;
    }

    private async Task StartExecutionAsync(MonitoringSchedule schedule, DateTimeOffset due, DateTimeOffset now, CancellationToken ct)
    {
        var execution = new MonitoringExecution
        {
            ScheduleName = schedule.Name,
            JobDefinitionName = schedule.JobDefinitionName,
            MonitoringType = schedule.MonitoringType,
            EndpointName = schedule.EndpointName,
            ScheduledTime = due,
            CreationTime = now,
            LastModifiedTime = now,
        };

        // The execution first, then the claim: a node lost in between leaves an execution the next tick claims again.
        await store.AddExecutionAsync(execution, ct).ConfigureAwait(false);
        await store.UpdateScheduleAsync(schedule.Name, current =>
            current.LastScheduledTime == schedule.LastScheduledTime && current.RunNowPending == schedule.RunNowPending
                ? current with { LastScheduledTime = due, RunNowPending = false, RunNowTime = null, LastExecutionName = execution.Name }
                : null, ct).ConfigureAwait(false);
    }

    private async Task AdvanceAsync(MonitoringExecution execution, CancellationToken ct)
    {
        if (execution.ProcessingJobName is null)
        {
            string? failure = null;
            (string Name, string ReportUri)? job = null;
            try
            {
                job = await StartProcessingJobAsync(execution, ct).ConfigureAwait(false);
            }
            catch (KilnException e)
            {
                failure = e.Message;
            }

            var started = await ChangeAsync(execution, current => current.ProcessingJobName is not null || current.IsFinished
                ? null
                : failure is null
                    ? current with { ProcessingJobName = job!.Value.Name, ReportUri = job.Value.ReportUri, Status = MonitoringExecutionStatus.InProgress }
                    : current with { Status = MonitoringExecutionStatus.Failed, FailureReason = failure }, ct).ConfigureAwait(false);
            if (started is { IsFinished: true })
            {
                await TellListenersAsync(started, ct).ConfigureAwait(false);
            }

            return;
        }

        var processed = await processing.DescribeAsync(execution.ProcessingJobName, ct).ConfigureAwait(false);
        if (!processed.IsFinished)
        {
            return;
        }

        var (status, reason) = processed.Status switch
        {
            ProcessingJobStatus.Completed when processed.ExitMessage?.StartsWith("CompletedWithViolations", StringComparison.Ordinal) == true =>
                (MonitoringExecutionStatus.CompletedWithViolations, null),
            ProcessingJobStatus.Completed => (MonitoringExecutionStatus.Completed, null),
            ProcessingJobStatus.Stopped => (MonitoringExecutionStatus.Stopped, null),
            _ => (MonitoringExecutionStatus.Failed, processed.FailureReason ?? processed.ExitMessage),
        };
        if (await ChangeAsync(execution, current => current.IsFinished ? null : current with { Status = status, FailureReason = reason }, ct).ConfigureAwait(false) is { } ended)
        {
            await TellListenersAsync(ended, ct).ConfigureAwait(false);
        }
    }

    private async Task TellListenersAsync(MonitoringExecution ended, CancellationToken ct)
    {
        if (await store.FindScheduleAsync(ended.ScheduleName, ct).ConfigureAwait(false) is not { } schedule)
        {
            return;
        }

        foreach (var listener in listeners)
        {
            try
            {
                await listener.OnExecutionEndedAsync(ended, schedule, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogListenerFailed(logger, ended.Name, listener.GetType().Name, e);
            }
        }
    }

    private Task<MonitoringExecution?> ChangeAsync(MonitoringExecution execution, Func<MonitoringExecution, MonitoringExecution?> change, CancellationToken ct) =>
        store.UpdateExecutionAsync(execution.Name, current => change(current) is { } changed ? changed with { LastModifiedTime = clock.GetUtcNow() } : null, ct);

    private async Task<(string Name, string ReportUri)> StartProcessingJobAsync(MonitoringExecution execution, CancellationToken ct)
    {
        var schedule = await monitoring.DescribeScheduleAsync(execution.ScheduleName, ct).ConfigureAwait(false);
        var definition = execution.JobDefinitionName.Length == 0
            ? await monitoring.JobDefinitionOfAsync(schedule, ct).ConfigureAwait(false)
            : await monitoring.DescribeJobDefinitionAsync(execution.JobDefinitionName, ct).ConfigureAwait(false);
        var captureUri = await monitoring.CapturedDataUriAsync(definition, ct).ConfigureAwait(false);
        var start = execution.ScheduledTime + ScheduleExpressions.ParseOffset("DataAnalysisStartTime", schedule.Schedule.DataAnalysisStartTime ?? definition.StartTimeOffset, TimeSpan.FromHours(-1));
        var end = execution.ScheduledTime + ScheduleExpressions.ParseOffset("DataAnalysisEndTime", schedule.Schedule.DataAnalysisEndTime ?? definition.EndTimeOffset, TimeSpan.Zero);

        var inputs = await CapturedHoursAsync(captureUri, definition, start, end, ct).ConfigureAwait(false);
        if (inputs.Count == 0)
        {
            var source = definition.BatchTransform is null ? $"endpoint {definition.EndpointName}" : "no batch transform";
            throw KilnException.InvalidParameter(
                $"No data captured in the analysis window {start:u} to {end:u}: {source} wrote capture files under {captureUri} for those hours.");
        }

        if (definition.Clarify is { } clarify)
        {
            return await StartClarifyJobAsync(execution, schedule, definition, clarify, inputs, ct).ConfigureAwait(false);
        }

        var environment = new Dictionary<string, string>(definition.Environment)
        {
            ["dataset_source"] = definition.LocalPath,
            // A model quality monitor over a batch transform reads the capture records GenerateInferenceId writes.
            ["dataset_format"] = definition.MonitoringType == MonitoringTypes.ModelQuality ? CaptureFormat : definition.BatchTransform?.DatasetFormatJson ?? CaptureFormat,
            ["output_path"] = definition.Outputs[0].LocalPath,
            ["monitoring_schedule_name"] = schedule.Name,
        };
        if (definition.BatchTransform is null)
        {
            environment["end_point"] = definition.EndpointName;
        }

        switch (definition.MonitoringType)
        {
            case MonitoringTypes.ModelQuality:
                await AddModelQualityAsync(definition, start, end, inputs, environment, ct).ConfigureAwait(false);
                break;
            default:
                environment["analysis_type"] = "DATA_QUALITY";
                break;
        }

        var baseline = await BaselineAsync(definition, ct).ConfigureAwait(false);
        if (baseline.ConstraintsUri is { } constraints)
        {
            inputs.Add(new ProcessingInput("constraints", constraints, $"{BaselineRoot}/constraints"));
            environment["baseline_constraints"] = $"{BaselineRoot}/constraints/{FileName(constraints)}";
        }

        if (baseline.StatisticsUri is { } statistics)
        {
            inputs.Add(new ProcessingInput("baseline", statistics, $"{BaselineRoot}/stats"));
            environment["baseline_statistics"] = $"{BaselineRoot}/stats/{FileName(statistics)}";
        }

        return await LaunchAsync(execution, schedule, definition, definition.ImageUri, definition.ContainerEntrypoint, definition.ContainerArguments, environment, inputs, ct).ConfigureAwait(false);
    }

    /// <summary>Starts the execution's processing job (named after the execution, so a second start is harmless) with its reports under the schedule's hour folder.</summary>
    private async Task<(string Name, string ReportUri)> LaunchAsync(
        MonitoringExecution execution,
        MonitoringSchedule schedule,
        MonitorJobDefinition definition,
        string imageUri,
        IReadOnlyList<string> entrypoint,
        IReadOnlyList<string> arguments,
        Dictionary<string, string> environment,
        List<ProcessingInput> inputs,
        CancellationToken ct)
    {
        var stamp = execution.ScheduledTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        var name = $"model-monitoring-{stamp}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(execution.Name)))[..12]}";
        var outputs = definition.Outputs.Select((output, i) => new ProcessingOutput(
            i == 0 ? "monitoring_output" : $"monitoring_output_{i}",
            $"{output.S3Uri.TrimEnd('/')}/{(definition.EndpointName.Length == 0 ? "" : definition.EndpointName + "/")}{schedule.Name}/{execution.ScheduledTime:yyyy/MM/dd/HH}",
            output.LocalPath,
            output.UploadMode)).ToList();
        var spec = new ProcessingJobSpec
        {
            Name = name,
            ImageUri = imageUri,
            ContainerEntrypoint = entrypoint,
            ContainerArguments = arguments,
            Environment = environment,
            Inputs = inputs,
            Outputs = outputs,
            InstanceType = definition.InstanceType,
            InstanceCount = definition.InstanceCount,
            VolumeSizeInGB = definition.VolumeSizeInGB,
            MaxRuntimeInSeconds = definition.MaxRuntimeInSeconds,
            RoleArn = definition.RoleArn,
            CreatedBy = "model-monitor",
        };
        try
        {
            await processing.CreateAsync(spec, ct).ConfigureAwait(false);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceInUse)
        {
            // Started by an earlier tick that did not live to record it.
        }

        return (name, outputs[0].Uri);
    }

    /// <summary>One input per hour folder ({endpoint}/{variant}/yyyy/MM/dd/HH) of captured data that overlaps [start, end).</summary>
    private async Task<List<ProcessingInput>> CapturedHoursAsync(string captureUri, MonitorJobDefinition definition, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        if (!captureUri.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter($"Kiln monitors data captured to s3:// URIs; endpoint {definition.EndpointName} captures to {captureUri}.");
        }

        var (bucket, key) = DataUris.S3Location(captureUri);
        // A batch transform's capture has its input files under input/yyyy/MM/dd/HH and its results under output/…
        // (a model quality monitor reads those: capture records with inference ids); an endpoint's, {endpoint}/{variant}/yyyy/MM/dd/HH.
        var (folder, depth, input) = definition.BatchTransform is null ? (definition.EndpointName, 1, "endpoint_input")
            : definition.MonitoringType == MonitoringTypes.ModelQuality ? ("output", 0, "batch_transform_input")
            : ("input", 0, "batch_transform_input");
        var prefix = key.Length == 0 ? $"{folder}/" : $"{key.TrimEnd('/')}/{folder}/";
        var hours = await HourFoldersAsync(bucket, prefix, depth, start, end, ct).ConfigureAwait(false);
        return hours.Select((hour, i) => new ProcessingInput($"{input}_{i}", $"s3://{bucket}/{prefix}{hour}/", $"{definition.LocalPath.TrimEnd('/')}/{hour}")).ToList();
    }

    /// <summary>
    /// The folders under <paramref name="prefix"/> that hold hourly data overlapping [start, end): each object's key
    /// after the prefix has <paramref name="depth"/> folders (e.g. the capture's variant), then yyyy/MM/dd/HH, then the file.
    /// </summary>
    private async Task<SortedSet<string>> HourFoldersAsync(string bucket, string prefix, int depth, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        var folders = new SortedSet<string>(StringComparer.Ordinal);
        var after = "";
        while (true)
        {
            ObjectListing page;
            try
            {
                page = await objects.ListAsync(bucket, prefix, null, after, 1000, ct).ConfigureAwait(false);
            }
            catch (ObjectStoreException)
            {
                break;
            }

            foreach (var item in page.Objects)
            {
                var parts = item.Key[prefix.Length..].Split('/');
                if (parts.Length >= depth + 5 && HourOf(parts[depth..]) is { } hour && hour < end && hour.AddHours(1) > start)
                {
                    folders.Add(string.Join('/', parts[..(depth + 4)]));
                }
            }

            if (!page.IsTruncated || page.Objects.Count == 0)
            {
                break;
            }

            after = page.Objects[^1].Key;
        }

        return folders;
    }

    /// <summary>The hour of a yyyy/MM/dd/HH folder path.</summary>
    private static DateTimeOffset? HourOf(string[] parts) =>
        DateTimeOffset.TryParseExact($"{parts[0]}-{parts[1]}-{parts[2]}T{parts[3]}", "yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var hour)
            ? hour
            : null;

    private const string CaptureFormat = "{\"sagemakerCaptureJson\": {\"captureIndexNames\": [\"endpointInput\", \"endpointOutput\"]}}";

    private static string FileName(string uri) => uri[(uri.TrimEnd('/').LastIndexOf('/') + 1)..];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listener {Listener} failed on the end of monitoring execution {Execution}")]
    private static partial void LogListenerFailed(ILogger logger, string execution, string listener, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Monitoring execution {Execution} could not move on")]
    private static partial void LogAdvanceFailed(ILogger logger, string execution, Exception exception);
}
