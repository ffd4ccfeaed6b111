using Kiln.Api.Security;
using Kiln.Core.Common;
using Kiln.Core.Registry;
using Kiln.Core.Security.Permissions;
using Kiln.Studio.Data;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Studio;

/// <summary>
/// The approval form of a model version page: a form POST (antiforgery-checked) that goes through
/// <see cref="ModelPackageService.UpdatePackageAsync"/> as UpdateModelPackage does, so the approval is recorded in the
/// history and the group's approval actions (deploy an endpoint, start a pipeline) run; then back to the page. It is
/// under <c>/studio/</c> so that a session cookie authenticates it under <c>--auth</c>, and it needs what
/// UpdateModelPackage needs: EDIT on the model package group (404 without READ, a refusal on the page without EDIT).
/// </summary>
public static class StudioApprovals
{
    /// <summary>Who the approval history names for a decision made in Studio without <c>--auth</c> (under it, the signed-in user).</summary>
    public const string Approver = "Kiln Studio";

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/studio/models/{name}/versions/{version:long}/approval", async (
            string name,
            long version,
            [FromForm] string? decision,
            [FromForm] string? comment,
            ModelPackageService packages,
            StudioPermissions permissions,
            HttpContext http) =>
        {
            var page = StudioLinks.ModelVersion(name, version);
            if (decision is not (ApprovalStatuses.Approved or ApprovalStatuses.Rejected))
            {
                return Results.Redirect(page + "?error=" + Uri.EscapeDataString("Choose Approve or Reject."));
            }

            if (!await permissions.MayReadModelAsync(http, name, http.RequestAborted))
            {
                return Results.NotFound();
            }

            var caller = permissions.CallerOf(http);
            if (caller is null || !await permissions.MayAsync(http, ResourceKind.RegisteredModel, name, ResourceAction.Update, http.RequestAborted))
            {
                var refusal = caller is null ? "Log in again." : ResourcePermissions.Denied(caller, ResourceKind.RegisteredModel, name, ResourceAction.Update).Message;
                return Results.Redirect(page + "?error=" + Uri.EscapeDataString(refusal));
            }

            try
            {
                var approver = StudioSessions.AreOn(http.RequestServices) ? caller.Name : Approver;
                await packages.UpdatePackageAsync(name, version, decision, string.IsNullOrWhiteSpace(comment) ? null : comment.Trim(), null, null, null, approver, http.RequestAborted);
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
