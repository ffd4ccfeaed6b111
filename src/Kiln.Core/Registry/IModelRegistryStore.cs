using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Tracking;

namespace Kiln.Core.Registry;

/// <summary>
/// Persistence for registered models and their versions. Existence and uniqueness checks that need
/// the stored state happen here, raising MLflow's codes and messages.
/// </summary>
public interface IModelRegistryStore
{
    Task<RegisteredModel> CreateRegisteredModelAsync(string name, IReadOnlyList<Tag> tags, string? description, long now, CancellationToken ct = default);

    Task<RegisteredModel?> FindRegisteredModelAsync(string name, CancellationToken ct = default);

    Task<RegisteredModel> RenameRegisteredModelAsync(string name, string newName, long now, CancellationToken ct = default);

    Task<RegisteredModel> UpdateRegisteredModelAsync(string name, string? description, long now, CancellationToken ct = default);

    Task DeleteRegisteredModelAsync(string name, CancellationToken ct = default);

    Task<Page<RegisteredModel>> SearchRegisteredModelsAsync(RegistryQuery query, CancellationToken ct = default);

    Task SetRegisteredModelTagAsync(string name, Tag tag, CancellationToken ct = default);

    Task DeleteRegisteredModelTagAsync(string name, string key, CancellationToken ct = default);

    Task SetAliasAsync(string name, string alias, long version, CancellationToken ct = default);

    Task DeleteAliasAsync(string name, string alias, CancellationToken ct = default);

    Task<long?> FindAliasAsync(string name, string alias, CancellationToken ct = default);

    Task<ModelVersion> CreateModelVersionAsync(NewModelVersion version, CancellationToken ct = default);

    Task<ModelVersion?> FindModelVersionAsync(string name, long version, CancellationToken ct = default);

    Task<ModelVersion> UpdateModelVersionAsync(string name, long version, string? description, long now, CancellationToken ct = default);

    Task<ModelVersion> TransitionStageAsync(string name, long version, string stage, bool archiveExistingVersions, long now, CancellationToken ct = default);

    Task DeleteModelVersionAsync(string name, long version, long now, CancellationToken ct = default);

    Task<Page<ModelVersion>> SearchModelVersionsAsync(RegistryQuery query, CancellationToken ct = default);

    Task SetModelVersionTagAsync(string name, long version, Tag tag, CancellationToken ct = default);

    Task DeleteModelVersionTagAsync(string name, long version, string key, CancellationToken ct = default);
}

public sealed record RegistryQuery(
    IReadOnlyList<FilterClause> Filter,
    IReadOnlyList<OrderByClause> OrderBy,
    int MaxResults,
    string? PageToken);
