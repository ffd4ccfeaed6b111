using System.Text.Json;

namespace Kiln.Pipelines.Definition;

public enum ParameterType
{
    String,
    Integer,
    Float,
    Boolean,
}

public sealed record ParameterDefinition(string Name, ParameterType Type, JsonElement? DefaultValue, IReadOnlyList<string> EnumValues);

/// <summary>A JSON file a processing step writes to one of its outputs, read by <c>Std:JsonGet</c>.</summary>
public sealed record PropertyFileDefinition(string Name, string OutputName, string FilePath);

public sealed record CacheConfig(bool Enabled, TimeSpan? ExpireAfter);

public sealed record RetryPolicy(IReadOnlyList<string> ExceptionTypes, double IntervalSeconds, double BackoffRate, int MaxAttempts);

/// <summary>
/// One step. Steps inside a Condition step's IfSteps/ElseSteps are flattened into the definition's list,
/// with <see cref="ConditionStep"/> naming the condition and <see cref="OnTrue"/> the branch they are on.
/// </summary>
public sealed record StepDefinition
{
    public required string Name { get; init; }

    public required string Type { get; init; }

    public string? DisplayName { get; init; }

    public string? Description { get; init; }

    public required JsonElement Arguments { get; init; }

    public IReadOnlyList<string> DependsOn { get; init; } = [];

    public CacheConfig? Cache { get; init; }

    public IReadOnlyList<RetryPolicy> Retries { get; init; } = [];

    public IReadOnlyList<PropertyFileDefinition> PropertyFiles { get; init; } = [];

    public string? ConditionStep { get; init; }

    public bool OnTrue { get; init; }

    /// <summary>Where the step sits in the definition, for error messages ("Steps[2]", "Steps[3].Arguments.IfSteps[0]").</summary>
    public required string Place { get; init; }
}

public sealed record PipelineDefinition(string Version, IReadOnlyList<ParameterDefinition> Parameters, IReadOnlyList<StepDefinition> Steps)
{
    public const string SupportedVersion = "2020-12-01";

    public StepDefinition? Step(string name) => Steps.FirstOrDefault(step => step.Name == name);

    public ParameterDefinition? Parameter(string name) => Parameters.FirstOrDefault(parameter => parameter.Name == name);
}

/// <summary>A definition that can't be run; the message names the place in the definition.</summary>
public sealed class PipelineDefinitionException(string message) : Exception(message);
