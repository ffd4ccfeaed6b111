using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;

namespace Kiln.Core.Pipelines;

/// <summary>
/// How pipeline steps reach the rest of Kiln: as SageMaker operations (a Training step is CreateTrainingJob
/// with the step's arguments), so a step is checked and run exactly as the same call from boto3 would be.
/// </summary>
public interface IPipelineOperations
{
    /// <summary>Runs the operation; throws <see cref="PipelineOperationException"/> with the service's error type when it fails.</summary>
    Task<JsonElement> InvokeAsync(string operation, JsonElement request, string caller, CancellationToken ct = default);

    /// <summary>Null when <paramref name="path"/> names a property of the operation's response; otherwise why not.</summary>
    string? CheckPropertyPath(string describeOperation, IReadOnlyList<PropertyPathSegment> path);
}

public sealed class PipelineOperationException(string errorType, string message) : Exception(message)
{
    public string ErrorType { get; } = errorType;
}
