using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;

namespace Kiln.Core.Pipelines;

/// <summary>A pipeline: its definition (SageMaker's JSON, version 2020-12-01) as the caller wrote it, and who made it.</summary>
public sealed record Pipeline
{
    public required string Name { get; init; }

    public string? DisplayName { get; init; }

    public string? Description { get; init; }

    public required string DefinitionJson { get; init; }

    public string? RoleArn { get; init; }

    public IReadOnlyList<Tag> Tags { get; init; } = [];

    public required string CreatedBy { get; init; }

    public string? LastModifiedBy { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public DateTimeOffset? LastRunTime { get; init; }

    /// <summary>Bumped by every UpdatePipeline that changes the definition.</summary>
    public long Version { get; init; } = 1;
}

public enum PipelineExecutionStatus
{
    Executing,
    Stopping,
    Stopped,
    Failed,
    Succeeded,
}

public enum StepStatus
{
    Starting,
    Executing,
    Stopping,
    Stopped,
    Failed,
    Succeeded,
}

/// <summary>One step's run within an execution: its job, what it produced (the job's describe output), cache hits, outcome.</summary>
public sealed record StepExecution
{
    public required string Name { get; init; }

    public required string Type { get; init; }

    public string? DisplayName { get; init; }

    public string? Description { get; init; }

    public StepStatus Status { get; init; } = StepStatus.Starting;

    public DateTimeOffset? StartTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public string? FailureReason { get; init; }

    /// <summary>The job (or model, model package) the step made: its name, and its ARN.</summary>
    public string? ResourceName { get; init; }

    public string? ResourceArn { get; init; }

    /// <summary>The step's properties: the describe output of what it made, for <c>Steps.X.…</c> references.</summary>
    public string? PropertiesJson { get; init; }

    /// <summary>The property files the step wrote (name to JSON text), for <c>Std:JsonGet</c>.</summary>
    public IReadOnlyDictionary<string, string> PropertyFiles { get; init; } = new Dictionary<string, string>();

    public string? CacheKey { get; init; }

    /// <summary>When the step was a cache hit: the execution whose result it reused.</summary>
    public string? CacheSourceExecutionId { get; init; }

    /// <summary>A condition step's result.</summary>
    public bool? Outcome { get; init; }

    /// <summary>A fail step's message.</summary>
    public string? ErrorMessage { get; init; }

    public int AttemptCount { get; init; }

    public bool IsFinished => Status is StepStatus.Stopped or StepStatus.Failed or StepStatus.Succeeded;
}

/// <summary>One run of a pipeline: the definition and parameter values it started with, and each step it ran.</summary>
public sealed record PipelineExecution : IJobRecord<PipelineExecution>
{
    public PipelineExecution WithAttempt(int attempt) => this with { Attempt = attempt };

    public PipelineExecution WithLastModifiedTime(DateTimeOffset time) => this with { LastModifiedTime = time };

    public required string Id { get; init; }

    public required string PipelineName { get; init; }

    public string? DisplayName { get; init; }

    public string? Description { get; init; }

    public PipelineExecutionStatus Status { get; init; } = PipelineExecutionStatus.Executing;

    public string? FailureReason { get; init; }

    /// <summary>The definition as it was when the execution started (updates to the pipeline don't change a running execution).</summary>
    public required string DefinitionJson { get; init; }

    /// <summary>Every parameter's value, defaults filled in, as JSON values of the parameter's type.</summary>
    public required IReadOnlyDictionary<string, JsonElement> Parameters { get; init; }

    public IReadOnlyList<StepExecution> Steps { get; init; } = [];

    /// <summary>Attempts made at steps before a retry reset them: a retried step's job gets the next attempt's name.</summary>
    public IReadOnlyDictionary<string, int> PriorAttempts { get; init; } = new Dictionary<string, int>();

    public required string CreatedBy { get; init; }

    /// <summary>The region the execution was started in: the ARNs of what it makes carry it.</summary>
    public string Region { get; init; } = "us-east-1";

    public required DateTimeOffset CreationTime { get; init; }

    public required DateTimeOffset LastModifiedTime { get; init; }

    public bool StopRequested { get; init; }

    public int Attempt { get; init; }

    public bool IsFinished => Status is PipelineExecutionStatus.Stopped or PipelineExecutionStatus.Failed or PipelineExecutionStatus.Succeeded;

    public StepExecution? Step(string name) => Steps.FirstOrDefault(step => step.Name == name);

    public PipelineExecution WithStep(StepExecution step) => this with
    {
        Steps = Steps.Any(existing => existing.Name == step.Name)
            ? Steps.Select(existing => existing.Name == step.Name ? step : existing).ToList()
            : [.. Steps, step],
    };
}

/// <summary>One step of a property path: a member name, then optional indexes (<c>[0]</c>) or keys (<c>['train']</c>).</summary>
public sealed record PropertyPathSegment(string Member, IReadOnlyList<PropertyIndex> Indexes);

public sealed record PropertyIndex(int? Position, string? Key);
