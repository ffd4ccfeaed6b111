using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Lineage;
using Kiln.Core.Pipelines;
using Kiln.Pipelines.Definition;
using Kiln.Pipelines.Expressions;
using Kiln.Pipelines.Steps;
using Microsoft.Extensions.Logging;

namespace Kiln.Pipelines;

/// <summary>
/// Runs a pipeline execution on the job engine. Steps start as soon as the steps they depend on have
/// succeeded, several at once where the graph allows; each job step is a SageMaker job of its own,
/// waited on until it ends. Every change is stored as it happens, so when the node dies (or the server
/// restarts) the engine resumes the execution: steps already finished keep their results, and steps
/// whose job was started are re-attached to it rather than started twice.
/// </summary>
public sealed partial class PipelineExecutionRunner(
    IPipelineExecutionStore executions,
    IPipelineOperations operations,
    DataUris data,
    TimeProvider clock,
    ILogger<PipelineExecutionRunner> logger,
    ILineageRecorder? lineage = null,
    PipelineRunnerOptions? options = null) : IJobRunner
{
    private readonly PipelineRunnerOptions _options = options ?? new PipelineRunnerOptions();

    private readonly JobLifecycle<PipelineExecution> _lifecycle = new(PipelineService.JobKind, executions.FindAsync, executions.UpdateAsync, clock, logger);

    public string Kind => PipelineService.JobKind;

    public Task<bool> IsFinishedAsync(string name, CancellationToken ct = default) => _lifecycle.IsFinishedAsync(name, ct);

    public Task RunAsync(JobRun run) => _lifecycle.RunAsync(run, RunAsync);

    private async Task RunAsync(JobAttempt<PipelineExecution> attempt)
    {
        var (execution, run) = (attempt.Job, attempt.Run);

        var definition = DefinitionParser.Parse(execution.DefinitionJson);
        var running = new Dictionary<string, Task>(StringComparer.Ordinal);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(run.StopRequested, run.NodeShutdown);
        var stopSignal = Task.Delay(Timeout.Infinite, stopping.Token);
        while (true)
        {
            execution = await executions.FindAsync(run.Name).ConfigureAwait(false) ?? throw new InvalidOperationException($"Execution {run.Name} vanished");
            foreach (var done in running.Where(pair => pair.Value.IsCompleted).Select(pair => pair.Key).ToList())
            {
                await running[done].ConfigureAwait(false);
                running.Remove(done);
            }

            var stopRequested = execution.StopRequested || run.StopRequested.IsCancellationRequested;
            var failed = execution.Steps.Any(step => step.Status is StepStatus.Failed or StepStatus.Stopped);
            if (!stopRequested && !failed)
            {
                foreach (var step in definition.Steps.Where(step => !running.ContainsKey(step.Name)))
                {
                    var record = execution.Step(step.Name);
                    if (record is { IsFinished: true })
                    {
                        continue;
                    }

                    // A step recorded as started belongs to an earlier attempt of this execution: carry it on.
                    if (record is not null || Ready(definition, step, execution))
                    {
                        running[step.Name] = RunStepAsync(attempt, step, execution, record, stopping.Token);
                    }
                }
            }

            if (running.Count == 0)
            {
                await FinishAsync(attempt, execution, stopRequested).ConfigureAwait(false);
                return;
            }

            await Task.WhenAny(running.Values.Append(stopSignal)).ConfigureAwait(false);
            run.NodeShutdown.ThrowIfCancellationRequested();
            if (run.StopRequested.IsCancellationRequested)
            {
                // Steps see the same token and stop their jobs; wait for them to record it.
                await Task.WhenAll(running.Values.Select(task => task.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
                running.Clear();
            }
        }
    }

    /// <summary>Whether every step this one waits for has succeeded and, on a condition's branch, the condition chose that branch.</summary>
    private static bool Ready(PipelineDefinition definition, StepDefinition step, PipelineExecution execution)
    {
        foreach (var dependency in DefinitionValidator.Dependencies(definition, step))
        {
            if (execution.Step(dependency) is not { Status: StepStatus.Succeeded })
            {
                return false;
            }
        }

        return step.ConditionStep is not { } condition || execution.Step(condition)?.Outcome == step.OnTrue;
    }

    private async Task FinishAsync(JobAttempt<PipelineExecution> attempt, PipelineExecution execution, bool stopRequested)
    {
        var failedStep = execution.Steps.FirstOrDefault(step => step.Status is StepStatus.Failed or StepStatus.Stopped);
        var (status, reason) = stopRequested
            ? (PipelineExecutionStatus.Stopped, (string?)null)
            : failedStep is { Type: StepTypes.Fail } fail
                ? (PipelineExecutionStatus.Failed, fail.ErrorMessage ?? $"Step {fail.Name} failed")
                : failedStep is not null
                    ? (PipelineExecutionStatus.Failed, $"Step failure: One or multiple steps failed. {failedStep.Name}: {failedStep.FailureReason}")
                    : (PipelineExecutionStatus.Succeeded, null);
        // A pipeline execution's FailureReason may be longer than a job's.
        await attempt.EndAsync((current, _) => current with { Status = status, FailureReason = JobFailure.Truncate(reason, 1300) }).ConfigureAwait(false);
        LogFinished(execution.Id, execution.PipelineName, status);
    }

    private async Task RunStepAsync(JobAttempt<PipelineExecution> attempt, StepDefinition step, PipelineExecution execution, StepExecution? resumed, CancellationToken stopping)
    {
        var run = attempt.Run;
        var executionId = execution.Id;
        var record = resumed ?? new StepExecution
        {
            Name = step.Name,
            Type = step.Type,
            DisplayName = step.DisplayName,
            Description = step.Description,
            Status = StepStatus.Starting,
            StartTime = clock.GetUtcNow(),
            AttemptCount = execution.PriorAttempts.GetValueOrDefault(step.Name),
        };
        if (resumed is null)
        {
            await SaveAsync(attempt, record).ConfigureAwait(false);
        }

        try
        {
            var scope = new ExecutionScope(await executions.FindAsync(executionId, CancellationToken.None).ConfigureAwait(false) ?? throw new InvalidOperationException(executionId), clock);
            record = step.Type switch
            {
                StepTypes.Condition => RunCondition(step, record, scope),
                StepTypes.Fail => record with
                {
                    Status = StepStatus.Failed,
                    ErrorMessage = step.Arguments.TryGetProperty("ErrorMessage", out var message) ? Text(Evaluator.Evaluate(message, scope)) : $"Fail step {step.Name} was reached",
                },
                _ => await RunOperationAsync(attempt, step, StepKind.ByType[step.Type], record, scope, stopping).ConfigureAwait(false),
            };
            if (record is { Status: StepStatus.Failed, Type: StepTypes.Fail })
            {
                record = record with { FailureReason = record.ErrorMessage };
            }
        }
        catch (EvaluationException e)
        {
            record = record with { Status = StepStatus.Failed, FailureReason = e.Message };
        }
        catch (OperationCanceledException) when (run.NodeShutdown.IsCancellationRequested)
        {
            return;
        }
        catch (OperationCanceledException) when (run.StopRequested.IsCancellationRequested)
        {
            record = record with { Status = StepStatus.Stopped, FailureReason = "The pipeline execution was stopped" };
        }
        catch (PipelineOperationException e)
        {
            record = record with { Status = StepStatus.Failed, FailureReason = $"{e.ErrorType}: {e.Message}" };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStepFailed(e, step.Name, executionId);
            record = record with { Status = StepStatus.Failed, FailureReason = $"InternalServerError: {e.Message}" };
        }

        if (lineage is not null && record is { Status: StepStatus.Succeeded, ResourceName: { } job } && step.Type is StepTypes.Training or StepTypes.Processing)
        {
            var type = step.Type == StepTypes.Training ? LineageTypes.TrainingJob : LineageTypes.ProcessingJob;
            await lineage.RecordPipelineStepAsync(execution.PipelineName, executionId, Arns.DefaultRegion, LineageService.TrialComponentArn(Arns.DefaultRegion, job, type), run.NodeShutdown).ConfigureAwait(false);
        }

        await SaveAsync(attempt, record with { EndTime = clock.GetUtcNow(), FailureReason = JobFailure.Truncate(record.FailureReason) }).ConfigureAwait(false);
    }

    private static StepExecution RunCondition(StepDefinition step, StepExecution record, IEvaluationScope scope)
    {
        var outcome = step.Arguments.GetProperty("Conditions").EnumerateArray().All(condition => Conditions.Evaluate(condition, scope));
        return record with { Status = StepStatus.Succeeded, Outcome = outcome };
    }

    private async Task<StepExecution> RunOperationAsync(JobAttempt<PipelineExecution> claimed, StepDefinition step, StepKind kind, StepExecution record, ExecutionScope scope, CancellationToken stopping)
    {
        var run = claimed.Run;
        var execution = scope.Execution;
        if (record.ResourceName is { } attached && kind.IsJob)
        {
            // Resumed after a restart: the job exists (or its create was lost with the node, and is made again).
            var describe = await TryDescribeAsync(kind, attached, run.NodeShutdown).ConfigureAwait(false);
            if (describe is not null)
            {
                return await WaitForJobAsync(step, kind, record, run).ConfigureAwait(false);
            }
        }

        var arguments = Evaluator.Evaluate(step.Arguments, scope);
        var cacheKey = CacheKey(step, arguments);
        if (step.Cache is { Enabled: true } cache && await FindCachedAsync(execution, step, cacheKey, cache).ConfigureAwait(false) is { } hit)
        {
            LogCacheHit(step.Name, execution.Id, hit.Source);
            return record with
            {
                Status = StepStatus.Succeeded,
                CacheKey = cacheKey,
                CacheSourceExecutionId = hit.Source,
                ResourceName = hit.Step.ResourceName,
                ResourceArn = hit.Step.ResourceArn,
                PropertiesJson = hit.Step.PropertiesJson,
                PropertyFiles = hit.Step.PropertyFiles,
            };
        }

        var attempt = record.AttemptCount;
        while (true)
        {
            attempt++;
            var name = kind.NameField.Length == 0 ? null : ResourceName(step.Name, execution.Id, attempt, kind.MaxNameLength);
            var request = JsonNode.Parse(arguments.GetRawText())!.AsObject();
            if (name is not null)
            {
                request[kind.NameField] = name;
            }

            record = record with
            {
                Status = StepStatus.Executing,
                AttemptCount = attempt,
                CacheKey = cacheKey,
                ResourceName = name,
                ResourceArn = name is null ? null : Arns.SageMaker(execution.Region, kind.ArnResource, name),
            };
            await SaveAsync(claimed, record).ConfigureAwait(false);
            JsonElement response;
            try
            {
                if (kind.Type == StepTypes.RegisterModel)
                {
                    await RegisterModelStep.EnsureGroupAsync(operations, request, execution.CreatedBy, run.NodeShutdown).ConfigureAwait(false);
                }

                response = await operations.InvokeAsync(kind.CreateOperation, JsonSerializer.SerializeToElement(request), execution.CreatedBy, run.NodeShutdown).ConfigureAwait(false);
            }
            catch (PipelineOperationException e) when (e.ErrorType == "ResourceInUse" && kind.IsJob && name is not null)
            {
                // Made by an earlier attempt of this execution whose record of it was lost.
                return await WaitForJobAsync(step, kind, record, run).ConfigureAwait(false);
            }
            catch (PipelineOperationException e)
            {
                if (Retry(step, FailureType(e.ErrorType), attempt) is { } delay)
                {
                    await Task.Delay(delay, stopping).ConfigureAwait(false);
                    continue;
                }

                return record with { Status = StepStatus.Failed, FailureReason = $"{e.ErrorType}: {e.Message}" };
            }

            if (kind.Type == StepTypes.RegisterModel)
            {
                var arn = response.GetProperty("ModelPackageArn").GetString()!;
                record = record with { ResourceName = arn, ResourceArn = arn };
                var described = await operations.InvokeAsync(kind.DescribeOperation, JsonSerializer.SerializeToElement(new { ModelPackageName = arn }), execution.CreatedBy, run.NodeShutdown).ConfigureAwait(false);
                return record with { Status = StepStatus.Succeeded, PropertiesJson = described.GetRawText() };
            }

            if (!kind.IsJob)
            {
                var described = await DescribeAsync(kind, name!, run.NodeShutdown).ConfigureAwait(false);
                return record with { Status = StepStatus.Succeeded, PropertiesJson = described.GetRawText() };
            }

            var ended = await WaitForJobAsync(step, kind, record, run).ConfigureAwait(false);
            if (ended.Status == StepStatus.Failed && ended.FailureReason?.StartsWith("InternalServerError", StringComparison.Ordinal) == true
                && Retry(step, "SageMaker.JOB_INTERNAL_ERROR", attempt) is { } retryDelay)
            {
                record = ended with { Status = StepStatus.Executing, FailureReason = null };
                await Task.Delay(retryDelay, stopping).ConfigureAwait(false);
                continue;
            }

            return ended;
        }
    }

    /// <summary>Polls the job until it ends; a stop of the execution stops the job first.</summary>
    private async Task<StepExecution> WaitForJobAsync(StepDefinition step, StepKind kind, StepExecution record, JobRun run)
    {
        var delay = _options.PollInterval;
        var stopSent = false;
        while (true)
        {
            run.NodeShutdown.ThrowIfCancellationRequested();
            if (run.StopRequested.IsCancellationRequested && !stopSent && kind.StopOperation is { } stop)
            {
                stopSent = true;
                try
                {
                    await operations.InvokeAsync(stop, Request(kind.NameField, record.ResourceName!), "pipeline", run.NodeShutdown).ConfigureAwait(false);
                }
                catch (PipelineOperationException)
                {
                }
            }

            var described = await DescribeAsync(kind, record.ResourceName!, run.NodeShutdown).ConfigureAwait(false);
            var status = described.GetProperty(kind.StatusField!).GetString();
            switch (status)
            {
                case "Completed":
                    var properties = record with { PropertiesJson = described.GetRawText() };
                    return await ReadPropertyFilesAsync(step, properties, described, run.NodeShutdown).ConfigureAwait(false) with { Status = StepStatus.Succeeded };
                case "Failed":
                    return record with
                    {
                        Status = StepStatus.Failed,
                        PropertiesJson = described.GetRawText(),
                        FailureReason = described.TryGetProperty("FailureReason", out var reason) ? reason.GetString() : $"{kind.Type} job {record.ResourceName} failed",
                    };
                case "Stopped":
                    return record with { Status = StepStatus.Stopped, PropertiesJson = described.GetRawText(), FailureReason = $"{kind.Type} job {record.ResourceName} was stopped" };
            }

            await Task.Delay(delay, run.NodeShutdown).ConfigureAwait(false);

            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 1.5, _options.MaxPollInterval.TotalMilliseconds));
        }
    }

    /// <summary>A processing step's property files, read from its outputs once the job has uploaded them.</summary>
    private async Task<StepExecution> ReadPropertyFilesAsync(StepDefinition step, StepExecution record, JsonElement described, CancellationToken ct)
    {
        if (step.PropertyFiles.Count == 0)
        {
            return record;
        }

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in step.PropertyFiles)
        {
            var output = Evaluator.Navigate(described, PropertyPath.Parse($"ProcessingOutputConfig.Outputs['{file.OutputName}'].S3Output.S3Uri"), $"output {file.OutputName}").GetString()!;
            var uri = $"{output.TrimEnd('/')}/{file.FilePath.TrimStart('/')}";
            try
            {
                var text = await data.ReadTextAsync(uri, ct).ConfigureAwait(false);
                using var _ = JsonDocument.Parse(text);
                files[file.Name] = text;
            }
            catch (KilnException e)
            {
                throw new EvaluationException($"Property file {file.Name} could not be read from {uri}: {e.Message}");
            }
            catch (JsonException e)
            {
                throw new EvaluationException($"Property file {file.Name} at {uri} is not JSON: {e.Message}");
            }
        }

        return record with { PropertyFiles = files };
    }

    private async Task<JsonElement?> TryDescribeAsync(StepKind kind, string name, CancellationToken ct)
    {
        try
        {
            return await DescribeAsync(kind, name, ct).ConfigureAwait(false);
        }
        catch (PipelineOperationException e) when (e.ErrorType is "ResourceNotFound" or "ValidationException")
        {
            return null;
        }
    }

    private Task<JsonElement> DescribeAsync(StepKind kind, string name, CancellationToken ct) =>
        operations.InvokeAsync(kind.DescribeOperation, Request(kind.NameField, name), "pipeline", ct);

    private static JsonElement Request(string field, string value) => JsonSerializer.SerializeToElement(new Dictionary<string, string> { [field] = value });

    /// <summary>The newest earlier run of this step with the same arguments that succeeded within ExpireAfter.</summary>
    private async Task<(string Source, StepExecution Step)?> FindCachedAsync(PipelineExecution execution, StepDefinition step, string cacheKey, CacheConfig cache)
    {
        var oldest = cache.ExpireAfter is { } expiry ? clock.GetUtcNow() - expiry : DateTimeOffset.MinValue;
        foreach (var earlier in await executions.ListAsync(execution.PipelineName).ConfigureAwait(false))
        {
            if (earlier.Id == execution.Id)
            {
                continue;
            }

            if (earlier.Step(step.Name) is { Status: StepStatus.Succeeded } candidate && candidate.CacheKey == cacheKey && candidate.EndTime >= oldest)
            {
                return (candidate.CacheSourceExecutionId ?? earlier.Id, candidate);
            }
        }

        return null;
    }

    /// <summary>The step's type and its resolved arguments, canonically ordered and hashed.</summary>
    private static string CacheKey(StepDefinition step, JsonElement arguments)
    {
        var canonical = Canonical(JsonNode.Parse(arguments.GetRawText()));
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(step.Type + "\n" + canonical));
        return Convert.ToHexStringLower(bytes);
    }

    private static string Canonical(JsonNode? node) => node switch
    {
        JsonObject obj => "{" + string.Join(",", obj.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => JsonSerializer.Serialize(pair.Key) + ":" + Canonical(pair.Value))) + "}",
        JsonArray array => "[" + string.Join(",", array.Select(Canonical)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };

    /// <summary>How long to wait before another attempt, when one of the step's retry policies covers this failure.</summary>
    private static TimeSpan? Retry(StepDefinition step, string? failure, int attempt)
    {
        if (failure is null)
        {
            return null;
        }

        var policy = step.Retries.FirstOrDefault(retry => retry.ExceptionTypes.Contains(failure));
        return policy is null || attempt >= policy.MaxAttempts
            ? null
            : TimeSpan.FromSeconds(policy.IntervalSeconds * Math.Pow(policy.BackoffRate, attempt - 1));
    }

    private static string? FailureType(string errorType) => errorType switch
    {
        "ResourceLimitExceeded" => "SageMaker.RESOURCE_LIMIT",
        "ThrottlingException" => "Step.THROTTLING",
        "InternalFailure" or "ServiceUnavailable" => "Step.SERVICE_FAULT",
        _ => null,
    };

    [GeneratedRegex("[^a-zA-Z0-9]+")]
    private static partial Regex NotNameCharacters();

    /// <summary>What a step's job is called: the step's name and the execution's id (and the attempt after the first), in lower case as ARNs spell it, within the name limit.</summary>
    internal static string ResourceName(string step, string executionId, int attempt, int maxLength)
    {
        var suffix = "-" + executionId + (attempt > 1 ? "-" + attempt.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
        var prefix = NotNameCharacters().Replace(step, "-").Trim('-').ToLowerInvariant();
        if (prefix.Length == 0)
        {
            prefix = "step";
        }

        var room = maxLength - suffix.Length;
        return (prefix.Length > room ? prefix[..room].TrimEnd('-') : prefix) + suffix;
    }

    /// <summary>Records a step's state, unless a newer attempt of the execution has taken over.</summary>
    private static Task<PipelineExecution?> SaveAsync(JobAttempt<PipelineExecution> attempt, StepExecution step) =>
        attempt.ChangeAsync(current => current.WithStep(step));

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    [LoggerMessage(Level = LogLevel.Information, Message = "Pipeline execution {Id} of {Pipeline} ended {Status}")]
    private partial void LogFinished(string id, string pipeline, PipelineExecutionStatus status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Step {Step} of execution {Id} failed inside Kiln")]
    private partial void LogStepFailed(Exception exception, string step, string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Step {Step} of execution {Id}: cache hit from execution {Source}")]
    private partial void LogCacheHit(string step, string id, string source);

    /// <summary>What expressions read: the execution as it was when the step started.</summary>
    private sealed class ExecutionScope(PipelineExecution execution, TimeProvider clock) : IEvaluationScope
    {
        public PipelineExecution Execution { get; } = execution;

        public JsonElement Parameter(string name) =>
            Execution.Parameters.TryGetValue(name, out var value) ? value : throw new EvaluationException($"Parameters.{name} has no value.");

        JsonElement? IEvaluationScope.Execution(string variable) => variable switch
        {
            "PipelineExecutionId" => JsonSerializer.SerializeToElement(Execution.Id),
            "PipelineExecutionArn" => JsonSerializer.SerializeToElement(Arns.PipelineExecution(Execution.Region, Execution.PipelineName, Execution.Id)),
            "PipelineName" => JsonSerializer.SerializeToElement(Execution.PipelineName),
            "PipelineArn" => JsonSerializer.SerializeToElement(Arns.SageMaker(Execution.Region, "pipeline", Execution.PipelineName)),
            "StartDateTime" => JsonSerializer.SerializeToElement(Execution.CreationTime.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture)),
            "CurrentDateTime" => JsonSerializer.SerializeToElement(clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture)),
            _ => null,
        };

        public JsonElement StepProperties(string step) =>
            Execution.Step(step) is { Status: StepStatus.Succeeded, PropertiesJson: { } json }
                ? JsonDocument.Parse(json).RootElement.Clone()
                : throw new EvaluationException($"Steps.{step} has no properties: the step has not succeeded.");

        public JsonElement PropertyFile(string step, string file) =>
            Execution.Step(step)?.PropertyFiles.TryGetValue(file, out var json) == true
                ? JsonDocument.Parse(json).RootElement.Clone()
                : throw new EvaluationException($"Step {step} wrote no property file {file}.");
    }
}

public sealed record PipelineRunnerOptions
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromSeconds(1);
}
