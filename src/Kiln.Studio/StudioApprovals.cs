using Kiln.Core.Common;
using Kiln.Core.Registry;
using Kiln.Studio.Data;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Studio;

/// <summary>
/// The approval form of a model version page: a form POST (antiforgery-checked) that goes through
/// <see cref="ModelPackageService.UpdatePackageAsync"/> as UpdateModelPackage does, so the approval is recorded in the
/// history and the group's approval actions (deploy an endpoint, start a pipeline) run; then back to the page.
/// </summary>
public static class StudioApprovals
{
    /// <summary>Who the approval history names for a decision made in Studio (Kiln has no user sign-in).</summary>
    public const string Approver = "Kiln Studio";

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/models/{name}/versions/{version:long}/approval", async (
            string name,
            long version,
            [FromForm] string? decision,
            [FromForm] string? comment,
            ModelPackageService packages,
            HttpContext http) =>
        {
            var page = StudioLinks.ModelVersion(name, version);
            if (decision is not (ApprovalStatuses.Approved or ApprovalStatuses.Rejected))
            {
                return Results.Redirect(page + "?error=" + Uri.EscapeDataString("Choose Approve or Reject."));
            }

            try
            {
                await packages.UpdatePackageAsync(name, version, decision, string.IsNullOrWhiteSpace(comment) ? null : comment.Trim(), null, null, null, Approver, http.RequestAborted);
            }
            catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
            {
                return Results.NotFound();
            }
            catch (KilnException e)
            {
                return Results.Redirect(page + "?error=" + Uri.EscapeDataString(e.Message));
            }

            return Results.Redirect(page + "?decided=" + Uri.EscapeDataString(decision));
        });
}
