using Kiln.Core.Registry;
using Kiln.Core.Serving;
using Kiln.Core.Tracking;

namespace Kiln.Api.SageMaker;

/// <summary>
/// A model made from a model package (<c>ModelPackage(...).deploy()</c> sends a container holding only
/// <c>ModelPackageName</c>): the package's first inference container gives the image, the model data and the
/// environment, which the request's own Environment extends.
/// </summary>
internal static class PackagedModel
{
    public static async Task<HostedModel> ResolveAsync(
        string modelName, string packageName, IReadOnlyDictionary<string, string>? environment, string? roleArn, IReadOnlyList<Tag> tags, SageMakerCall call)
    {
        var (group, version) = RegistryApi.ParsePackageArn(packageName);
        var package = await RegistryApi.Package(call, group, version);
        var arn = RegistryApi.PackageArn(call, group, version);

        // SageMaker serves a versioned package only once it is approved: the SageMaker Python SDK approves the
        // package itself (UpdateModelPackage) before its ModelPackage.deploy() calls CreateModel.
        if (package.Details.ApprovalStatus != ApprovalStatuses.Approved)
        {
            throw new SageMakerException("ValidationException",
                $"Model package {arn} has the approval status {package.Details.ApprovalStatus}; only an Approved model package can be used to create a model.");
        }

        var container = package.Details.Containers.FirstOrDefault(c => c.ModelDataUrl is not null)
            ?? throw new SageMakerException("ValidationException", $"Model package {arn} has no inference container with a ModelDataUrl to serve.");
        var merged = new Dictionary<string, string>(container.Environment, StringComparer.Ordinal);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            merged[key] = value;
        }

        return new HostedModel(modelName, container.Image, container.ModelDataUrl, merged, roleArn, DateTimeOffset.UnixEpoch, tags) { ModelPackageArn = arn };
    }
}
