using Kiln.Core.Common;
using Kiln.Core.Experiments;
using Kiln.Core.Registry;
using Kiln.Core.Tracking;

namespace Kiln.Api.SageMaker;

/// <summary>
/// The tags of one resource, read and written on the records its Create call wrote: the resource's own
/// document, or the MLflow tags of the experiment, run, registered model or model version it is.
/// </summary>
internal abstract class TagTarget(string arn)
{
    public string Arn { get; } = arn;

    /// <summary>Every tag the record holds, Kiln's own included.</summary>
    public abstract Task<IReadOnlyList<Tag>> ReadAsync(CancellationToken ct);

    public abstract Task WriteAsync(IReadOnlyList<Tag> set, IReadOnlyList<string> remove, CancellationToken ct);

    /// <summary>
    /// A key Kiln keeps its own records under (an MLflow record's <c>mlflow.*</c> and <c>sagemaker.*</c> tags):
    /// ListTags leaves it out, and AddTags and DeleteTags refuse it, since changing it would change what the
    /// record is (a run's trial, a version's approval status), not label it.
    /// </summary>
    public virtual bool IsInternal(string key) => false;

    public static IReadOnlyList<Tag> Merge(IReadOnlyList<Tag> current, IReadOnlyList<Tag> set, IReadOnlyList<string> remove)
    {
        var values = set.ToDictionary(tag => tag.Key, tag => tag.Value, StringComparer.Ordinal);
        var merged = current
            .Where(tag => !remove.Contains(tag.Key, StringComparer.Ordinal))
            .Select(tag => values.TryGetValue(tag.Key, out var value) ? new Tag(tag.Key, value) : tag)
            .ToList();
        merged.AddRange(set.Where(tag => current.All(existing => existing.Key != tag.Key)));
        return merged;
    }
}

/// <summary>A resource kept as one document whose Tags member its Create call filled.</summary>
internal sealed class DocumentTagTarget<T>(
    string arn,
    Func<CancellationToken, Task<T?>> find,
    Func<Func<T, T?>, CancellationToken, Task<T?>> update,
    Func<T, IReadOnlyList<Tag>> tags,
    Func<T, IReadOnlyList<Tag>, T> withTags) : TagTarget(arn)
    where T : class
{
    public override async Task<IReadOnlyList<Tag>> ReadAsync(CancellationToken ct) =>
        await find(ct) is { } document ? tags(document) : throw TagTargets.NotFound(Arn);

    public override async Task WriteAsync(IReadOnlyList<Tag> set, IReadOnlyList<string> remove, CancellationToken ct)
    {
        if (await update(document => withTags(document, Merge(tags(document), set, remove)), ct) is null)
        {
            throw TagTargets.NotFound(Arn);
        }
    }
}

/// <summary>MLflow's keys: the <c>mlflow.*</c> system tags and the <c>sagemaker.*</c> tags Kiln records SageMaker's view in.</summary>
internal abstract class MlflowTagTarget(string arn) : TagTarget(arn)
{
    public override bool IsInternal(string key) =>
        key.StartsWith("mlflow.", StringComparison.Ordinal) || key.StartsWith("sagemaker.", StringComparison.Ordinal) || ExperimentTags.Internal.Contains(key);

    public override async Task WriteAsync(IReadOnlyList<Tag> set, IReadOnlyList<string> remove, CancellationToken ct)
    {
        foreach (var tag in set)
        {
            await SetAsync(tag, ct).ConfigureAwait(false);
        }

        var present = (await ReadAsync(ct).ConfigureAwait(false)).Select(tag => tag.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var key in remove.Where(present.Contains))
        {
            await DeleteAsync(key, ct).ConfigureAwait(false);
        }
    }

    protected abstract Task SetAsync(Tag tag, CancellationToken ct);

    protected abstract Task DeleteAsync(string key, CancellationToken ct);
}

/// <summary>A SageMaker experiment: an MLflow experiment's tags.</summary>
internal sealed class ExperimentTagTarget(string arn, string experimentId, TrackingService tracking) : MlflowTagTarget(arn)
{
    public override async Task<IReadOnlyList<Tag>> ReadAsync(CancellationToken ct) => (await tracking.GetExperimentAsync(experimentId, ct)).Tags;

    protected override Task SetAsync(Tag tag, CancellationToken ct) => tracking.SetExperimentTagAsync(experimentId, tag, ct);

    protected override Task DeleteAsync(string key, CancellationToken ct) => tracking.DeleteExperimentTagAsync(experimentId, key, ct);
}

/// <summary>A trial or trial component: an MLflow run's tags (a training job's run keeps <c>kiln.*</c> tags of its own too).</summary>
internal sealed class RunTagTarget(string arn, string runId, TrackingService tracking) : MlflowTagTarget(arn)
{
    public override bool IsInternal(string key) => base.IsInternal(key) || key.StartsWith("kiln.", StringComparison.Ordinal);

    public override async Task<IReadOnlyList<Tag>> ReadAsync(CancellationToken ct) => (await tracking.GetRunAsync(runId, ct)).Data.Tags;

    protected override Task SetAsync(Tag tag, CancellationToken ct) => tracking.SetTagAsync(runId, tag, ct);

    protected override Task DeleteAsync(string key, CancellationToken ct) => tracking.DeleteTagAsync(runId, key, ct);
}

/// <summary>A model package group: a registered model's tags (where <c>kiln.deploy.*</c> configures what approval does).</summary>
internal sealed class GroupTagTarget(string arn, string group, RegistryService registry) : MlflowTagTarget(arn)
{
    public override async Task<IReadOnlyList<Tag>> ReadAsync(CancellationToken ct) => (await registry.GetRegisteredModelAsync(group, ct)).Tags;

    protected override Task SetAsync(Tag tag, CancellationToken ct) => registry.SetRegisteredModelTagAsync(group, tag, ct);

    protected override Task DeleteAsync(string key, CancellationToken ct) => registry.DeleteRegisteredModelTagAsync(group, key, ct);
}

/// <summary>A model package: a registered model version's tags.</summary>
internal sealed class PackageTagTarget(string arn, string group, string version, RegistryService registry) : MlflowTagTarget(arn)
{
    public override async Task<IReadOnlyList<Tag>> ReadAsync(CancellationToken ct) => (await registry.GetModelVersionAsync(group, version, ct)).Tags;

    protected override Task SetAsync(Tag tag, CancellationToken ct) => registry.SetModelVersionTagAsync(group, version, tag, ct);

    protected override Task DeleteAsync(string key, CancellationToken ct) => registry.DeleteModelVersionTagAsync(group, version, key, ct);
}
