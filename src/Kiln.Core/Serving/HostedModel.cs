using Kiln.Core.Tracking;

namespace Kiln.Core.Serving;

/// <summary>A model that endpoints and batch transforms serve: its container image and where its data (model.tar.gz, model.onnx) is.</summary>
public sealed record HostedModel(
    string Name,
    string? Image,
    string? ModelDataUrl,
    IReadOnlyDictionary<string, string> Environment,
    string? ExecutionRoleArn,
    DateTimeOffset CreationTime,
    IReadOnlyList<Tag> Tags)
{
    /// <summary>The model package the image, data and environment came from, when the model was made from one.</summary>
    public string? ModelPackageArn { get; init; }
}
