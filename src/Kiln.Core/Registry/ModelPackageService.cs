using System.Globalization;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Tracking;

namespace Kiln.Core.Registry;

/// <summary>A page of model packages plus the token for the next.</summary>
public sealed record PackageQuery(
    string? Group,
    string? NameContains,
    string? ApprovalStatus,
    DateTimeOffset? CreatedAfter,
    DateTimeOffset? CreatedBefore,
    bool SortByName,
    bool Ascending,
    int MaxResults,
    string? PageToken);

/// <summary>
/// SageMaker's model registry over the one registry: a model package group is a registered model, a model
/// package is one of its versions. Approval is an event: it is recorded (who, when, why) and runs the
/// approval actions the group's tags configure.
/// </summary>
public sealed class ModelPackageService(
    RegistryService registry,
    IModelPackageStore packages,
    IEnumerable<IApprovalAction> approvalActions,
    TimeProvider clock,
    Lineage.ILineageRecorder? lineage = null)
{
    public Task<RegisteredModel> CreateGroupAsync(string name, string? description, IReadOnlyList<Tag> tags, CancellationToken ct = default) =>
        registry.CreateRegisteredModelAsync(name, tags, description, ct);

    public Task<RegisteredModel> DescribeGroupAsync(string name, CancellationToken ct = default) => GroupAsync(name, ct);

    public async Task<Page<RegisteredModel>> ListGroupsAsync(string? nameContains, bool sortByName, bool ascending, int maxResults, string? pageToken, CancellationToken ct = default)
    {
        var all = await AllGroupsAsync(ct).ConfigureAwait(false);
        var matching = all.Where(group => nameContains is null || group.Name.Contains(nameContains, StringComparison.OrdinalIgnoreCase));
        var ordered = sortByName
            ? (ascending ? matching.OrderBy(g => g.Name, StringComparer.Ordinal) : matching.OrderByDescending(g => g.Name, StringComparer.Ordinal))
            : (ascending ? matching.OrderBy(g => g.CreationTimestamp) : matching.OrderByDescending(g => g.CreationTimestamp));
        return PageToken.Slice(ordered.ToList(), pageToken, maxResults);
    }

    public async Task DeleteGroupAsync(string name, CancellationToken ct = default)
    {
        await GroupAsync(name, ct).ConfigureAwait(false);
        var versions = await registry.SearchModelVersionsAsync($"name = '{Escape(name)}'", null, null, null, ct).ConfigureAwait(false);
        if (versions.Items.Count > 0)
        {
            throw new KilnException(ErrorCode.ResourceInUse, $"Model package group {name} still has {versions.Items.Count} model package(s); delete them first.");
        }

        await registry.DeleteRegisteredModelAsync(name, ct).ConfigureAwait(false);
    }

    /// <summary>Registers a new version in the group: the first container's ModelDataUrl is the version's source.</summary>
    public async Task<ModelPackage> CreatePackageAsync(string group, string? description, ModelPackageDetails details, IReadOnlyList<Tag> tags, string createdBy, CancellationToken ct = default)
    {
        await GroupAsync(group, ct).ConfigureAwait(false);
        var source = details.Containers.Select(container => container.ModelDataUrl).FirstOrDefault(url => url is not null)
            ?? details.SourceUri
            ?? throw KilnException.InvalidParameter("InferenceSpecification.Containers needs a ModelDataUrl: it is the model version's source.");
        var now = clock.GetUtcNow();
        var stored = details with
        {
            CreatedBy = createdBy,
            LastModifiedBy = createdBy,
            LastModifiedTime = now,
            Approvals = [new ApprovalEvent(details.ApprovalStatus, details.ApprovalDescription, createdBy, now)],
        };
        var version = await registry.CreateModelVersionAsync(group, source, null, [.. tags, ApprovalTags.Status(stored.ApprovalStatus)], null, description, ct).ConfigureAwait(false);
        var number = long.Parse(version.Version, CultureInfo.InvariantCulture);
        await packages.SaveAsync(group, number, stored, ct).ConfigureAwait(false);
        var package = new ModelPackage(version, stored);
        if (lineage is not null)
        {
            await lineage.RecordModelPackageAsync(Arns.ModelPackage(Arns.DefaultRegion, group, number), source, Arns.DefaultRegion, ct).ConfigureAwait(false);
        }

        if (stored.ApprovalStatus == ApprovalStatuses.Approved)
        {
            package = await RunApprovalActionsAsync(package, createdBy, ct).ConfigureAwait(false);
        }

        return package;
    }

    public async Task<ModelPackage> DescribePackageAsync(string group, long version, CancellationToken ct = default)
    {
        var modelVersion = await registry.GetModelVersionAsync(group, version.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        return new ModelPackage(modelVersion, await packages.FindAsync(group, version, ct).ConfigureAwait(false) ?? FromMlflow(modelVersion));
    }

    public async Task<Page<ModelPackage>> ListPackagesAsync(PackageQuery query, CancellationToken ct = default)
    {
        var filter = query.Group is null ? null : $"name = '{Escape(query.Group)}'";
        if (query.Group is not null)
        {
            await GroupAsync(query.Group, ct).ConfigureAwait(false);
        }

        var versions = new List<ModelVersion>();
        string? token = null;
        do
        {
            var page = await registry.SearchModelVersionsAsync(filter, RegistryService.SearchVersionsMaxResultsThreshold, null, token, ct).ConfigureAwait(false);
            versions.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);

        var all = new List<ModelPackage>();
        foreach (var version in versions)
        {
            var details = await packages.FindAsync(version.Name, long.Parse(version.Version, CultureInfo.InvariantCulture), ct).ConfigureAwait(false) ?? FromMlflow(version);
            all.Add(new ModelPackage(version, details));
        }

        var matching = all.Where(package =>
            (query.ApprovalStatus is null || package.Details.ApprovalStatus == query.ApprovalStatus)
            && (query.NameContains is null || package.GroupName.Contains(query.NameContains, StringComparison.OrdinalIgnoreCase))
            && (query.CreatedAfter is null || package.Version.CreationTimestamp > query.CreatedAfter.Value.ToUnixTimeMilliseconds())
            && (query.CreatedBefore is null || package.Version.CreationTimestamp < query.CreatedBefore.Value.ToUnixTimeMilliseconds()));
        var ordered = query.SortByName
            ? (query.Ascending ? matching.OrderBy(p => p.GroupName, StringComparer.Ordinal).ThenBy(p => p.VersionNumber) : matching.OrderByDescending(p => p.GroupName, StringComparer.Ordinal).ThenByDescending(p => p.VersionNumber))
            : (query.Ascending ? matching.OrderBy(p => p.Version.CreationTimestamp).ThenBy(p => p.VersionNumber) : matching.OrderByDescending(p => p.Version.CreationTimestamp).ThenByDescending(p => p.VersionNumber));
        return PageToken.Slice(ordered.ToList(), query.PageToken, query.MaxResults);
    }

    /// <summary>
    /// The packages a property search selects, its paths walking <see cref="ModelPackage"/> (<c>GroupName</c>,
    /// <c>Details.ApprovalStatus</c>, <c>UserTags.team</c>). A package joins a registry version with its details
    /// from another store, so the domain evaluates the search over the joined records in memory; ties keep the
    /// listing's order (newest first).
    /// </summary>
    public async Task<Page<ModelPackage>> SearchPackagesAsync(PropertySearchQuery query, CancellationToken ct = default)
    {
        query.Validate();
        var all = await ListPackagesAsync(new PackageQuery(null, null, null, null, null, false, false, int.MaxValue, null), ct).ConfigureAwait(false);
        return PropertySearch.Run(all.Items, query, package => JsonSerializer.SerializeToElement(package));
    }

    /// <summary>Changes approval, metadata or documentation; a change to Approved runs the group's approval actions.</summary>
    public async Task<ModelPackage> UpdatePackageAsync(
        string group,
        long version,
        string? approvalStatus,
        string? approvalDescription,
        IReadOnlyDictionary<string, string>? addMetadata,
        IReadOnlyList<string>? removeMetadata,
        string? modelCardJson,
        string by,
        CancellationToken ct = default)
    {
        var current = await DescribePackageAsync(group, version, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        var metadata = current.Details.CustomerMetadata.ToDictionary(StringComparer.Ordinal);
        foreach (var key in removeMetadata ?? [])
        {
            metadata.Remove(key);
        }

        foreach (var (key, value) in addMetadata ?? new Dictionary<string, string>())
        {
            metadata[key] = value;
        }

        var statusChanged = approvalStatus is not null && approvalStatus != current.Details.ApprovalStatus;
        var updated = current.Details with
        {
            ApprovalStatus = approvalStatus ?? current.Details.ApprovalStatus,
            ApprovalDescription = approvalDescription ?? current.Details.ApprovalDescription,
            CustomerMetadata = metadata,
            ModelCardJson = modelCardJson ?? current.Details.ModelCardJson,
            LastModifiedBy = by,
            LastModifiedTime = now,
            Approvals = statusChanged ? [.. current.Details.Approvals, new ApprovalEvent(approvalStatus!, approvalDescription, by, now)] : current.Details.Approvals,
        };
        await packages.SaveAsync(group, version, updated, ct).ConfigureAwait(false);
        var package = current with { Details = updated };
        if (statusChanged)
        {
            await registry.SetModelVersionTagAsync(group, version.ToString(CultureInfo.InvariantCulture), ApprovalTags.Status(updated.ApprovalStatus), ct).ConfigureAwait(false);
            if (updated.ApprovalStatus == ApprovalStatuses.Approved)
            {
                package = await RunApprovalActionsAsync(package, by, ct).ConfigureAwait(false);
            }
        }

        return package;
    }

    public async Task DeletePackageAsync(string group, long version, CancellationToken ct = default)
    {
        await registry.DeleteModelVersionAsync(group, version.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        await packages.DeleteAsync(group, version, ct).ConfigureAwait(false);
    }

    /// <summary>An action that fails is recorded as failed: the approval itself stands.</summary>
    private async Task<ModelPackage> RunApprovalActionsAsync(ModelPackage package, string approvedBy, CancellationToken ct)
    {
        var group = await GroupAsync(package.GroupName, ct).ConfigureAwait(false);
        var records = new List<ApprovalDeployment>();
        foreach (var action in approvalActions)
        {
            try
            {
                if (await action.OnApprovedAsync(package, group, approvedBy, ct).ConfigureAwait(false) is { } record)
                {
                    records.Add(record);
                }
            }
            catch (KilnException e)
            {
                records.Add(new ApprovalDeployment(action.GetType().Name, "", false, e.Message, approvedBy, clock.GetUtcNow()));
            }
        }

        if (records.Count == 0)
        {
            return package;
        }

        var details = await packages.UpdateAsync(package.GroupName, package.VersionNumber, current => current with { Deployments = [.. current.Deployments, .. records] }, ct).ConfigureAwait(false);
        return package with { Details = details ?? package.Details };
    }

    /// <summary>A version registered through MLflow, seen as a package: served from its storage location, pending approval.</summary>
    private static ModelPackageDetails FromMlflow(ModelVersion version) => new()
    {
        Containers = [new PackageContainer(null, version.StorageLocation ?? version.Source, new Dictionary<string, string>())],
        ApprovalStatus = version.Tags.FirstOrDefault(tag => tag.Key == ApprovalTags.ApprovalStatusTag)?.Value is { } status
            && status is ApprovalStatuses.Approved or ApprovalStatuses.Rejected or ApprovalStatuses.PendingManualApproval
            ? status
            : ApprovalStatuses.PendingManualApproval,
        CreatedBy = version.UserId,
    };

    private async Task<RegisteredModel> GroupAsync(string name, CancellationToken ct)
    {
        try
        {
            return await registry.GetRegisteredModelAsync(name, ct).ConfigureAwait(false);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            throw KilnException.NotFound($"Model package group {name} does not exist.");
        }
    }

    private async Task<List<RegisteredModel>> AllGroupsAsync(CancellationToken ct)
    {
        var groups = new List<RegisteredModel>();
        string? token = null;
        do
        {
            var page = await registry.SearchRegisteredModelsAsync(null, RegistryService.SearchModelsMaxResultsThreshold, null, token, ct).ConfigureAwait(false);
            groups.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);

        return groups;
    }

    private static string Escape(string value) => value.Replace("'", "\\'", StringComparison.Ordinal);
}
