using Kiln.Core.Common;
using Kiln.Core.Registry;
using Kiln.Pipelines.Definition;

namespace Kiln.Pipelines;

/// <summary>
/// Starts the pipeline the group's <c>kiln.deploy.pipeline</c> tag names when a version is approved, passing
/// the package's ARN as its <c>ModelPackageArn</c> parameter when the pipeline declares one.
/// </summary>
public sealed class StartPipelineOnApproval(PipelineService pipelines, TimeProvider clock) : IApprovalAction
{
    public const string PackageParameter = "ModelPackageArn";

    public async Task<ApprovalDeployment?> OnApprovedAsync(ModelPackage package, RegisteredModel group, string approvedBy, CancellationToken ct = default)
    {
        if (ApprovalTags.Find(group, ApprovalTags.StartPipeline) is not { Length: > 0 } name)
        {
            return null;
        }

        var pipeline = await pipelines.DescribeAsync(name, ct).ConfigureAwait(false);
        var declares = DefinitionParser.Parse(pipeline.DefinitionJson).Parameter(PackageParameter) is not null;
        var packageArn = Arns.ModelPackage(Arns.DefaultRegion, package.GroupName, package.VersionNumber);
        var execution = await pipelines.StartAsync(
            name,
            null,
            $"Started by the approval of {packageArn} by {approvedBy}",
            declares ? [(PackageParameter, packageArn)] : [],
            approvedBy,
            Arns.DefaultRegion,
            ct).ConfigureAwait(false);
        return new ApprovalDeployment("Pipeline", name, true, $"Pipeline {name} started: execution {execution.Id}", approvedBy, clock.GetUtcNow());
    }
}
