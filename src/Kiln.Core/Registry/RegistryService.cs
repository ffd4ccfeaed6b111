using System.Globalization;
using System.Text.RegularExpressions;
using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Tracking;

namespace Kiln.Core.Registry;

/// <summary>
/// The model registry: registered models, their versions, stages, tags and aliases. Behind MLflow's
/// registry API today and SageMaker's model packages later: one record, several dialects.
/// </summary>
public sealed partial class RegistryService(IModelRegistryStore store, TrackingService tracking, TimeProvider clock)
{
    public const int SearchModelsDefaultMaxResults = 100;
    public const int SearchModelsMaxResultsThreshold = 1000;
    public const int SearchVersionsDefaultMaxResults = 10_000;
    public const int SearchVersionsMaxResultsThreshold = 200_000;
    public const int MaxTagKeyLength = 250;
    public const int MaxTagValueLength = 100_000;

    [GeneratedRegex(@"^[\w\-]*$")]
    private static partial Regex AliasPattern();

    [GeneratedRegex(@"^[vV]\d+$")]
    private static partial Regex VersionLikeAlias();

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public Task<RegisteredModel> CreateRegisteredModelAsync(string? name, IReadOnlyList<Tag>? tags, string? description, CancellationToken ct = default)
    {
        ValidateName(name);
        foreach (var tag in tags ?? [])
        {
            ValidateTag(tag);
        }

        return store.CreateRegisteredModelAsync(name!, tags ?? [], description, Now, ct);
    }

    public async Task<RegisteredModel> GetRegisteredModelAsync(string? name, CancellationToken ct = default)
    {
        ValidateName(name);
        return await store.FindRegisteredModelAsync(name!, ct).ConfigureAwait(false)
            ?? throw KilnException.NotFound($"Registered Model with name={name} not found");
    }

    public async Task<RegisteredModel> RenameRegisteredModelAsync(string? name, string? newName, CancellationToken ct = default)
    {
        ValidateName(newName);
        await GetRegisteredModelAsync(name, ct).ConfigureAwait(false);
        return await store.RenameRegisteredModelAsync(name!, newName!, Now, ct).ConfigureAwait(false);
    }

    public async Task<RegisteredModel> UpdateRegisteredModelAsync(string? name, string? description, CancellationToken ct = default)
    {
        await GetRegisteredModelAsync(name, ct).ConfigureAwait(false);
        return await store.UpdateRegisteredModelAsync(name!, description, Now, ct).ConfigureAwait(false);
    }

    public async Task DeleteRegisteredModelAsync(string? name, CancellationToken ct = default)
    {
        await GetRegisteredModelAsync(name, ct).ConfigureAwait(false);
        await store.DeleteRegisteredModelAsync(name!, ct).ConfigureAwait(false);
    }

    public Task<Page<RegisteredModel>> SearchRegisteredModelsAsync(string? filter, int? maxResults, IReadOnlyList<string>? orderBy, string? pageToken, CancellationToken ct = default)
    {
        var limit = CheckMaxResults(maxResults ?? SearchModelsDefaultMaxResults, SearchModelsMaxResultsThreshold);
        var query = new RegistryQuery(
            SearchParser.ParseFilter(filter, SearchSchema.RegisteredModels),
            SearchParser.ParseOrderBy(orderBy, SearchSchema.RegisteredModels),
            limit,
            pageToken);
        PageToken.Decode(pageToken);
        return store.SearchRegisteredModelsAsync(query, ct);
    }

    public async Task<IReadOnlyList<ModelVersion>> GetLatestVersionsAsync(string? name, IReadOnlyList<string>? stages, CancellationToken ct = default)
    {
        var model = await GetRegisteredModelAsync(name, ct).ConfigureAwait(false);
        if (stages is null || stages.Count == 0)
        {
            return model.LatestVersions;
        }

        var wanted = stages.Select(CanonicalStage).ToHashSet();
        return model.LatestVersions.Where(version => wanted.Contains(version.CurrentStage)).ToList();
    }

    public async Task SetRegisteredModelTagAsync(string? name, Tag tag, CancellationToken ct = default)
    {
        ValidateTag(tag);
        await GetRegisteredModelAsync(name, ct).ConfigureAwait(false);
        await store.SetRegisteredModelTagAsync(name!, tag, ct).ConfigureAwait(false);
    }

    public async Task DeleteRegisteredModelTagAsync(string? name, string? key, CancellationToken ct = default)
    {
        ValidateTagKey(key);
        await GetRegisteredModelAsync(name, ct).ConfigureAwait(false);
        await store.DeleteRegisteredModelTagAsync(name!, key!, ct).ConfigureAwait(false);
    }

    public async Task SetAliasAsync(string? name, string? alias, string? version, CancellationToken ct = default)
    {
        ValidateName(name);
        ValidateAlias(alias);
        var number = ParseVersion(version);
        await GetModelVersionAsync(name, version, ct).ConfigureAwait(false);
        await store.SetAliasAsync(name!, alias!, number, ct).ConfigureAwait(false);
    }

    public async Task DeleteAliasAsync(string? name, string? alias, CancellationToken ct = default)
    {
        ValidateName(name);
        ValidateAlias(alias);
        await GetRegisteredModelAsync(name, ct).ConfigureAwait(false);
        await store.DeleteAliasAsync(name!, alias!, ct).ConfigureAwait(false);
    }

    public async Task<ModelVersion> GetModelVersionByAliasAsync(string? name, string? alias, CancellationToken ct = default)
    {
        ValidateName(name);
        ValidateAlias(alias);
        await GetRegisteredModelAsync(name, ct).ConfigureAwait(false);
        var version = await store.FindAliasAsync(name!, alias!, ct).ConfigureAwait(false)
            ?? throw KilnException.NotFound($"Registered model alias {alias} not found.");
        return await GetModelVersionAsync(name, version.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
    }

    public async Task<ModelVersion> CreateModelVersionAsync(string? name, string? source, string? runId, IReadOnlyList<Tag>? tags, string? runLink, string? description, CancellationToken ct = default)
    {
        ValidateName(name);
        if (string.IsNullOrEmpty(source))
        {
            throw KilnException.InvalidParameter("Missing value for required parameter 'source'. See the API docs for more information about request parameters.");
        }

        foreach (var tag in tags ?? [])
        {
            ValidateTag(tag);
        }

        var storageLocation = await ResolveSourceAsync(source, runId, ct).ConfigureAwait(false);
        await GetRegisteredModelAsync(name, ct).ConfigureAwait(false);
        var userId = string.IsNullOrEmpty(runId) ? null : (await tracking.GetRunAsync(runId, ct).ConfigureAwait(false)).Info.UserId;
        return await store.CreateModelVersionAsync(
            new NewModelVersion(name!, source, string.IsNullOrEmpty(runId) ? null : runId, tags ?? [], runLink, description, userId, storageLocation, Now),
            ct).ConfigureAwait(false);
    }

    public async Task<ModelVersion> GetModelVersionAsync(string? name, string? version, CancellationToken ct = default)
    {
        ValidateName(name);
        var number = ParseVersion(version);
        return await store.FindModelVersionAsync(name!, number, ct).ConfigureAwait(false)
            ?? throw KilnException.NotFound($"Model Version (name={name}, version={version}) not found");
    }

    public async Task<ModelVersion> UpdateModelVersionAsync(string? name, string? version, string? description, CancellationToken ct = default)
    {
        var existing = await GetModelVersionAsync(name, version, ct).ConfigureAwait(false);
        return await store.UpdateModelVersionAsync(existing.Name, long.Parse(existing.Version, CultureInfo.InvariantCulture), description, Now, ct).ConfigureAwait(false);
    }

    public async Task<ModelVersion> TransitionStageAsync(string? name, string? version, string? stage, bool archiveExistingVersions, CancellationToken ct = default)
    {
        var canonical = CanonicalStage(stage);
        if (archiveExistingVersions && canonical is not (ModelStages.Staging or ModelStages.Production))
        {
            throw KilnException.InvalidParameter(
                $"Model version transition cannot archive existing model versions because '{canonical}' is not an Active stage. Valid stages are Staging, Production");
        }

        var existing = await GetModelVersionAsync(name, version, ct).ConfigureAwait(false);
        return await store.TransitionStageAsync(existing.Name, long.Parse(existing.Version, CultureInfo.InvariantCulture), canonical, archiveExistingVersions, Now, ct).ConfigureAwait(false);
    }

    public async Task DeleteModelVersionAsync(string? name, string? version, CancellationToken ct = default)
    {
        var existing = await GetModelVersionAsync(name, version, ct).ConfigureAwait(false);
        await store.DeleteModelVersionAsync(existing.Name, long.Parse(existing.Version, CultureInfo.InvariantCulture), Now, ct).ConfigureAwait(false);
    }

    public Task<Page<ModelVersion>> SearchModelVersionsAsync(string? filter, int? maxResults, IReadOnlyList<string>? orderBy, string? pageToken, CancellationToken ct = default)
    {
        var limit = CheckMaxResults(maxResults ?? SearchVersionsDefaultMaxResults, SearchVersionsMaxResultsThreshold);
        var query = new RegistryQuery(
            SearchParser.ParseFilter(filter, SearchSchema.ModelVersions),
            SearchParser.ParseOrderBy(orderBy, SearchSchema.ModelVersions),
            limit,
            pageToken);
        PageToken.Decode(pageToken);
        return store.SearchModelVersionsAsync(query, ct);
    }

    public async Task<string> GetDownloadUriAsync(string? name, string? version, CancellationToken ct = default)
    {
        var existing = await GetModelVersionAsync(name, version, ct).ConfigureAwait(false);
        return existing.StorageLocation ?? existing.Source;
    }

    public async Task SetModelVersionTagAsync(string? name, string? version, Tag tag, CancellationToken ct = default)
    {
        ValidateTag(tag);
        var existing = await GetModelVersionAsync(name, version, ct).ConfigureAwait(false);
        await store.SetModelVersionTagAsync(existing.Name, long.Parse(existing.Version, CultureInfo.InvariantCulture), tag, ct).ConfigureAwait(false);
    }

    public async Task DeleteModelVersionTagAsync(string? name, string? version, string? key, CancellationToken ct = default)
    {
        ValidateTagKey(key);
        var existing = await GetModelVersionAsync(name, version, ct).ConfigureAwait(false);
        await store.DeleteModelVersionTagAsync(existing.Name, long.Parse(existing.Version, CultureInfo.InvariantCulture), key!, ct).ConfigureAwait(false);
    }

    /// <summary>MLflow's stage names are matched without regard to case and stored in canonical form.</summary>
    public static string CanonicalStage(string? stage) =>
        ModelStages.All.FirstOrDefault(candidate => string.Equals(candidate, stage, StringComparison.OrdinalIgnoreCase))
        ?? throw KilnException.InvalidParameter(
            $"Invalid Model Version stage: {stage}. Value must be one of {string.Join(", ", ModelStages.All)}.");

    /// <summary>
    /// A <c>runs:/</c> source is resolved to the run's artifact location (the version's storage
    /// location). A local path must sit inside the artifact folder of the run named by run_id.
    /// </summary>
    private async Task<string?> ResolveSourceAsync(string source, string? runId, CancellationToken ct)
    {
        if (ModelUri.IsModelUri(source))
        {
            return await ResolveModelUriAsync(source, ct).ConfigureAwait(false);
        }

        if (source.StartsWith("runs:/", StringComparison.Ordinal))
        {
            var rest = source["runs:/".Length..].TrimStart('/');
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            var sourceRunId = slash < 0 ? rest : rest[..slash];
            var path = slash < 0 ? "" : rest[(slash + 1)..];
            if (sourceRunId.Length == 0)
            {
                throw KilnException.InvalidParameter($"Invalid model version source: '{source}'.");
            }

            var normalized = Artifacts.ArtifactPath.Normalize(path);
            var run = await tracking.GetRunAsync(sourceRunId, ct).ConfigureAwait(false);
            return Artifacts.ArtifactPath.Combine(run.Info.ArtifactUri.TrimEnd('/'), normalized);
        }

        var isLocal = source.StartsWith("file:", StringComparison.Ordinal) || !source.Contains(":/", StringComparison.Ordinal);
        if (!isLocal)
        {
            if (source.Contains("/../", StringComparison.Ordinal) || source.EndsWith("/..", StringComparison.Ordinal))
            {
                throw KilnException.InvalidParameter($"Invalid model version source: '{source}'.");
            }

            return null;
        }

        var localError = $"Invalid model version source: '{source}'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.";
        if (string.IsNullOrEmpty(runId))
        {
            throw KilnException.InvalidParameter(localError);
        }

        var runInfo = (await tracking.GetRunAsync(runId, ct).ConfigureAwait(false)).Info;
        var localPath = source.StartsWith("file:", StringComparison.Ordinal) ? new Uri(source).LocalPath : source;
        var artifactRoot = runInfo.ArtifactUri.StartsWith("file:", StringComparison.Ordinal) ? new Uri(runInfo.ArtifactUri).LocalPath : runInfo.ArtifactUri;
        var fullSource = Path.GetFullPath(localPath);
        var fullRoot = Path.GetFullPath(artifactRoot).TrimEnd('/');
        if (!Path.IsPathRooted(artifactRoot) || (fullSource != fullRoot && !fullSource.StartsWith(fullRoot + "/", StringComparison.Ordinal)))
        {
            throw KilnException.InvalidParameter(localError);
        }

        return null;
    }

    /// <summary>
    /// A <c>models:/</c> source (copy_model_version sends one) is resolved now to where the files
    /// are, as MLflow does: the copy stays loadable after the source model is renamed or deleted.
    /// </summary>
    private async Task<string> ResolveModelUriAsync(string source, CancellationToken ct)
    {
        try
        {
            var uri = ModelUri.Parse(source);
            var version = await FindVersionAsync(uri, ct).ConfigureAwait(false);
            return version.StorageLocation ?? version.Source;
        }
        catch (KilnException e)
        {
            throw new KilnException(e.Code, $"Unable to fetch model from model URI source artifact location '{source}'.Error: {e.Message}");
        }
    }

    private async Task<ModelVersion> FindVersionAsync(ModelUri uri, CancellationToken ct)
    {
        if (uri.Version is { } number)
        {
            return await GetModelVersionAsync(uri.Name, number.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        }

        if (uri.Alias is { } alias)
        {
            return await GetModelVersionByAliasAsync(uri.Name, alias, ct).ConfigureAwait(false);
        }

        var latest = await GetLatestVersionsAsync(uri.Name, uri.Stage is null ? null : [uri.Stage], ct).ConfigureAwait(false);
        return latest.MaxBy(version => long.Parse(version.Version, CultureInfo.InvariantCulture))
            ?? throw KilnException.NotFound($"No versions of model with name '{uri.Name}' and stage '{uri.Stage ?? "None"}' found");
    }

    private static int CheckMaxResults(int value, int threshold) =>
        value >= 1 && value <= threshold
            ? value
            : throw KilnException.InvalidParameter(
                $"Invalid value for request parameter max_results. It must be at most {threshold}, but got value {value}");

    private static long ParseVersion(string? version) =>
        long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw KilnException.InvalidParameter($"Parameter 'version' must be an integer, got '{version}'.");

    private static void ValidateName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw KilnException.InvalidParameter("Registered model name cannot be empty.");
        }
    }

    private static void ValidateTagKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw KilnException.InvalidParameter("Missing value for required parameter 'key'. See the API docs for more information about request parameters.");
        }

        TrackingValidation.TagName(key);
        TrackingValidation.Length("Tag key", MaxTagKeyLength, key);
    }

    private static void ValidateTag(Tag tag)
    {
        ValidateTagKey(tag.Key);
        TrackingValidation.Length("Tag value", MaxTagValueLength, tag.Value);
    }

    private static void ValidateAlias(string? alias)
    {
        if (string.IsNullOrEmpty(alias))
        {
            throw KilnException.InvalidParameter("Registered model alias name cannot be empty.");
        }

        if (!AliasPattern().IsMatch(alias))
        {
            throw KilnException.InvalidParameter(
                $"Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).");
        }

        if (VersionLikeAlias().IsMatch(alias))
        {
            throw KilnException.InvalidParameter(
                $"Invalid alias name: '{alias}'. Aliases of the format 'v<number>' or 'V<number>' are reserved.");
        }

        if (string.Equals(alias, "latest", StringComparison.OrdinalIgnoreCase))
        {
            throw KilnException.InvalidParameter("'latest' alias name (case insensitive) is reserved.");
        }

        TrackingValidation.Length("Registered model alias", 255, alias);
    }
}
