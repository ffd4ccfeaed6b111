using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Training;

namespace Kiln.Storage.Tests.Broken;

/// <summary>
/// An in-memory training job store with three plausible bugs: an update reads, yields, then writes (so concurrent
/// updates overwrite each other), listing ignores the page token, and search checks a nested filter's conditions
/// each on any element of the list rather than all on the same one. The rest is correct (search is the domain's
/// in-memory evaluator), so the contract's other tests pass on it.
/// </summary>
internal sealed class BrokenInMemoryTrainingJobStore : ITrainingJobStore
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };
    private readonly ConcurrentDictionary<string, TrainingJob> _jobs = new(StringComparer.Ordinal);

    public Task CreateAsync(TrainingJob job, CancellationToken ct = default) =>
        _jobs.TryAdd(job.Name, job) ? Task.CompletedTask : throw new KilnException(ErrorCode.ResourceInUse, $"Training job {job.Name} already exists");

    public Task<TrainingJob?> FindAsync(string name, CancellationToken ct = default) => Task.FromResult(_jobs.GetValueOrDefault(name));

    public async Task<TrainingJob?> UpdateAsync(string name, Func<TrainingJob, TrainingJob?> change, CancellationToken ct = default)
    {
        if (!_jobs.TryGetValue(name, out var current) || change(current) is not { } changed)
        {
            return null;
        }

        await Task.Delay(1, ct);
        _jobs[name] = changed;
        return changed;
    }

    public Task<Page<TrainingJob>> ListAsync(ListQuery query, CancellationToken ct = default)
    {
        IEnumerable<TrainingJob> jobs = _jobs.Values;
        if (!string.IsNullOrEmpty(query.NameContains))
        {
            jobs = jobs.Where(job => job.Name.Contains(query.NameContains, StringComparison.OrdinalIgnoreCase));
        }

        if (query.Status is { } status)
        {
            jobs = jobs.Where(job => job.Status.ToString() == status);
        }

        jobs = jobs.Where(job =>
            (query.CreatedAfter is not { } a || job.CreationTime > a) && (query.CreatedBefore is not { } b || job.CreationTime < b)
            && (query.ModifiedAfter is not { } c || job.LastModifiedTime > c) && (query.ModifiedBefore is not { } d || job.LastModifiedTime < d));
        Func<TrainingJob, string> key = query.SortBy switch
        {
            ListSort.Name => job => job.Name,
            ListSort.Status => job => job.Status.ToString(),
            _ => job => job.CreationTime.UtcTicks.ToString("D20", System.Globalization.CultureInfo.InvariantCulture),
        };
        var sorted = query.Ascending
            ? jobs.OrderBy(key, StringComparer.Ordinal).ThenBy(job => job.Name, StringComparer.Ordinal)
            : jobs.OrderByDescending(key, StringComparer.Ordinal).ThenByDescending(job => job.Name, StringComparer.Ordinal);
        // The bug: the token is checked but not used, so every call answers the first page.
        PageToken.Decode(query.PageToken);
        return Task.FromResult(PageToken.Slice(sorted.ToList(), null, query.MaxResults));
    }

    public Task<Page<TrainingJob>> SearchAsync(PropertySearchQuery query, CancellationToken ct = default)
    {
        var jobs = _jobs.Values.OrderBy(job => job.CreationTime).ThenBy(job => job.Name, StringComparer.Ordinal);
        var where = query.Where is { } expression ? Flatten(expression) : null;
        return Task.FromResult(PropertySearch.Run(jobs, query with { Where = where }, job => JsonSerializer.SerializeToElement(job, Json)));
    }

    // The bug: each nested condition becomes a plain filter on the list, so different elements can satisfy different conditions.
    private static SearchExpression Flatten(SearchExpression expression) => expression with
    {
        Filters = [.. expression.Filters, .. expression.NestedFilters.SelectMany(nested => nested.Filters.Select(filter => filter with { Path = nested.Path + "." + filter.Path }))],
        NestedFilters = [],
        SubExpressions = expression.SubExpressions.Select(Flatten).ToList(),
    };
}
