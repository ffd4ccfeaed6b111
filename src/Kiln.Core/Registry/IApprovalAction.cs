using Kiln.Core.Tracking;

namespace Kiln.Core.Registry;

/// <summary>Something configured to happen when a version is approved: the group's tags say what.</summary>
public interface IApprovalAction
{
    /// <summary>Runs the action if the group's tags configure it; null when they don't.</summary>
    Task<ApprovalDeployment?> OnApprovedAsync(ModelPackage package, RegisteredModel group, string approvedBy, CancellationToken ct = default);
}
