using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Core.Registry;

/// <summary>
/// Deploys an approved version to the endpoint the group's <c>kiln.deploy.endpoint</c> tag names: a model and an
/// endpoint config named after the version, then the endpoint created, or updated in place when it exists.
/// </summary>
public sealed class DeployEndpointOnApproval(ServingService hosting, TimeProvider clock, Lineage.ILineageRecorder? lineage = null) : IApprovalAction
{
    public async Task<ApprovalDeployment?> OnApprovedAsync(ModelPackage package, RegisteredModel group, string approvedBy, CancellationToken ct = default)
    {
        if (ApprovalTags.Find(group, ApprovalTags.DeployEndpoint) is not { Length: > 0 } endpoint)
        {
            return null;
        }

        if (package.Details.Containers.Count == 0)
        {
            throw KilnException.InvalidParameter("The approved package has no container to deploy.");
        }

        var container = package.Details.Containers[0];
        var instanceType = ApprovalTags.Find(group, ApprovalTags.DeployInstanceType) ?? "ml.m5.large";
        var name = Truncate($"{package.GroupName}-v{package.VersionNumber}-{clock.GetUtcNow().ToUnixTimeSeconds()}");
        var tags = new List<Tracking.Tag> { new("kiln.model_package", $"{package.GroupName}/{package.VersionNumber}") };
        await hosting.CreateModelAsync(new HostedModel(name, container.Image, container.ModelDataUrl, container.Environment, null, clock.GetUtcNow(), tags), ct).ConfigureAwait(false);
        await hosting.CreateConfigAsync(
            new EndpointConfig(name, [new VariantSpec("AllTraffic", name, 1, 1.0, instanceType)], [], null, RoutingStrategy.Weighted, clock.GetUtcNow(), tags), ct).ConfigureAwait(false);
        string verb;
        try
        {
            await hosting.DescribeEndpointAsync(endpoint, ct).ConfigureAwait(false);
            await hosting.UpdateEndpointAsync(endpoint, name, null, retainVariantProperties: false, ct).ConfigureAwait(false);
            verb = "updated";
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            await hosting.CreateEndpointAsync(endpoint, name, null, tags, ct).ConfigureAwait(false);
            verb = "created";
        }

        if (lineage is not null)
        {
            var packageArn = Arns.ModelPackage(Arns.DefaultRegion, package.GroupName, package.VersionNumber);
            await lineage.RecordEndpointAsync(endpoint, Arns.DefaultRegion, container.ModelDataUrl is { } url ? [url] : [], packageArn, ct).ConfigureAwait(false);
        }

        return new ApprovalDeployment("Endpoint", endpoint, true, $"Endpoint {endpoint} {verb} with endpoint config {name}", approvedBy, clock.GetUtcNow());
    }

    /// <summary>Model and config names are at most 63 characters; the version and time at the end keep them unique.</summary>
    private static string Truncate(string name) => name.Length <= 63 ? name : name[^63..].TrimStart('-');
}
