using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Tracking;
using Kiln.Core.Training;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>
/// What every <see cref="ITrainingJobStore"/> promises about property search: paths into the job as stored
/// (dictionaries by key, dotted keys included; list elements by name; lists fanned out), numbers and times
/// compared by value, nested filters on one element, And/Or, ordering by any path, and paging.
/// </summary>
public abstract partial class TrainingJobStoreContract
{
    [StoreFact]
    public async Task Search_finds_jobs_by_hyperparameter_final_metric_tag_and_channel()
    {
        await SeedSearchAsync();

        Assert.Equal(["slow"], await SearchNamesAsync(Where(new PropertyFilter("Spec.HyperParameters.eta", Comparator.Equal, "0.05"))));
        Assert.Equal(["deep", "slow"], await SearchNamesAsync(Where(new PropertyFilter("FinalMetrics.validation:auc", Comparator.GreaterOrEqual, "0.9"))));
        Assert.Equal(["fast", "slow"], await SearchNamesAsync(Where(new PropertyFilter("Spec.Tags.team", Comparator.Equal, "churn"))));
        Assert.Equal(["deep", "slow"], await SearchNamesAsync(Where(new PropertyFilter("Spec.Channels.Name", Comparator.Equal, "validation"))));
        Assert.Equal(["deep"], await SearchNamesAsync(Where(new PropertyFilter("Spec.Name", Comparator.Contains, "EE"))));
        Assert.Equal(["fast"], await SearchNamesAsync(Where(new PropertyFilter("Spec.HyperParameters.lr.decay", Comparator.Equal, "0.5"))));
        Assert.Equal(["deep"], await SearchNamesAsync(Where(new PropertyFilter("Status", Comparator.Equal, nameof(TrainingJobStatus.Failed)))));
    }

    [StoreFact]
    public async Task Search_compares_numbers_and_times_by_value_and_text_by_ordinal()
    {
        await SeedSearchAsync();

        // "10" > "9" as numbers although not as text.
        Assert.Equal(["deep"], await SearchNamesAsync(Where(new PropertyFilter("Spec.HyperParameters.max_depth", Comparator.Greater, "9"))));
        Assert.Equal(["fast", "slow"], await SearchNamesAsync(Where(new PropertyFilter("Spec.HyperParameters.max_depth", Comparator.LessOrEqual, "6"))));
        Assert.Equal(["deep", "slow"], await SearchNamesAsync(Where(new PropertyFilter("CreationTime", Comparator.Greater, Epoch.AddMinutes(1).ToString("O")))));
        Assert.Equal(["fast"], await SearchNamesAsync(Where(new PropertyFilter("CreationTime", Comparator.Less, Epoch.AddMinutes(1).ToString("O")))));
        Assert.Equal(["fast", "slow"], await SearchNamesAsync(Where(new PropertyFilter("Spec.TrainingImage", Comparator.Equal, "kiln/sklearn:1"))));
        Assert.Empty(await SearchNamesAsync(Where(new PropertyFilter("Spec.TrainingImage", Comparator.Equal, "KILN/sklearn:1"))));
    }

    [StoreFact]
    public async Task Search_tests_presence_absence_inequality_and_lists_of_values()
    {
        await SeedSearchAsync();

        Assert.Equal(["deep"], await SearchNamesAsync(Where(new PropertyFilter("Spec.Tags.team", Comparator.IsNull))));
        Assert.Equal(["fast", "slow"], await SearchNamesAsync(Where(new PropertyFilter("Spec.Tags.team", Comparator.IsNotNull))));
        Assert.Equal(["fast"], await SearchNamesAsync(Where(new PropertyFilter("Spec.Channels.Name", Comparator.NotEqual, "validation"))));
        Assert.Equal(["deep", "fast"], await SearchNamesAsync(Where(new PropertyFilter("Status", Comparator.In, "Failed, Completed"))));
        Assert.Equal(["fast"], await SearchNamesAsync(Where(new PropertyFilter("Spec.ContainerArguments", Comparator.Equal, "--fast"))));
        Assert.Empty(await SearchNamesAsync(Where(new PropertyFilter("Spec.NoSuchMember", Comparator.IsNotNull))));
    }

    [StoreFact]
    public async Task A_nested_filter_holds_only_when_one_element_meets_all_its_conditions()
    {
        await SeedSearchAsync();

        var same = new NestedFilter("Spec.Channels", [new PropertyFilter("Name", Comparator.Equal, "validation"), new PropertyFilter("Uri", Comparator.Contains, "/validation")]);
        var split = new NestedFilter("Spec.Channels", [new PropertyFilter("Name", Comparator.Equal, "train"), new PropertyFilter("Uri", Comparator.Contains, "/validation")]);

        Assert.Equal(["deep", "slow"], await SearchNamesAsync(new SearchExpression([], [same], [])));
        Assert.Empty(await SearchNamesAsync(new SearchExpression([], [split], [])));
    }

    [StoreFact]
    public async Task Search_combines_filters_with_and_and_or()
    {
        await SeedSearchAsync();

        var either = SearchExpression.AnyOf(Where(new PropertyFilter("Spec.Name", Comparator.Equal, "fast")), Where(new PropertyFilter("Spec.Name", Comparator.Equal, "deep")));
        Assert.Equal(["deep", "fast"], await SearchNamesAsync(either));
        var both = new SearchExpression([new PropertyFilter("Spec.Tags.team", Comparator.Equal, "churn")], [], [either]);
        Assert.Equal(["fast"], await SearchNamesAsync(both));
        // A tag whose key holds a dot, next to an Or: whatever part a store evaluates outside its query language must agree.
        var dotted = new SearchExpression([new PropertyFilter("Spec.Tags.cost.center", Comparator.Equal, "7")], [], [either]);
        Assert.Equal(["deep"], await SearchNamesAsync(dotted));
    }

    [StoreFact]
    public async Task Search_orders_by_any_path_numbers_by_value_missing_values_first()
    {
        await SeedSearchAsync();

        Assert.Equal(["deep", "fast", "slow"], await SearchNamesAsync(null, "Spec.HyperParameters.max_depth", ascending: false, sorted: false));
        Assert.Equal(["slow", "fast", "deep"], await SearchNamesAsync(null, "Spec.HyperParameters.max_depth", ascending: true, sorted: false));
        Assert.Equal(["deep", "fast", "slow"], await SearchNamesAsync(null, "Spec.Tags.team", ascending: true, sorted: false));
        Assert.Equal(["slow", "deep", "fast"], await SearchNamesAsync(null, "CreationTime", ascending: false, sorted: false));
        Assert.Equal(["slow", "deep", "fast"], await SearchNamesAsync(null, "FinalMetrics.validation:auc", ascending: false, sorted: false));
    }

    [StoreFact]
    public async Task Search_pages_through_every_match_exactly_once_in_order()
    {
        for (var i = 0; i < 7; i++)
        {
            await Store.CreateAsync(SearchSample($"job-{i}", Epoch.AddMinutes(i), depth: (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture), eta: "0.1", team: i == 5 ? null : "churn"));
        }

        foreach (var where in new[] { Where(new PropertyFilter("Spec.Tags.team", Comparator.Equal, "churn")), new SearchExpression([new PropertyFilter("Spec.Tags.cost.center", Comparator.IsNull)], [], []) })
        {
            var names = new List<string>();
            string? token = null;
            do
            {
                var page = await Store.SearchAsync(new PropertySearchQuery(where, "Spec.HyperParameters.max_depth", Ascending: true, MaxResults: 2, PageToken: token));
                Assert.True(page.Items.Count <= 2);
                names.AddRange(page.Items.Select(job => job.Name));
                token = page.NextPageToken;
            }
            while (token is not null);

            var expected = Enumerable.Range(0, 7).Where(i => i != 5 || where.Filters[0].Path.EndsWith("center", StringComparison.Ordinal))
                .OrderBy(i => i % 3).ThenBy(i => i).Select(i => $"job-{i}");
            Assert.Equal(expected, names);
        }
    }

    [StoreFact]
    public async Task A_search_that_cannot_be_evaluated_is_an_invalid_parameter()
    {
        await SeedSearchAsync();

        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.SearchAsync(new PropertySearchQuery(Where(new PropertyFilter("FinalMetrics.auc", Comparator.Greater, "high")), "CreationTime")));
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.SearchAsync(new PropertySearchQuery(Where(new PropertyFilter("Spec.Name", Comparator.Equal)), "CreationTime")));
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.SearchAsync(new PropertySearchQuery(Where(new PropertyFilter("Spec.Name", Comparator.Like, "x%")), "CreationTime")));
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.SearchAsync(new PropertySearchQuery(null, "CreationTime", PageToken: "not-a-token")));
        await StoreAssert.FailsWith(ErrorCode.InvalidParameterValue, () => Store.SearchAsync(new PropertySearchQuery(null, "CreationTime", MaxResults: 0)));
    }

    private static SearchExpression Where(PropertyFilter filter) => SearchExpression.AllOf(filter);

    private async Task<List<string>> SearchNamesAsync(SearchExpression? where, string sortBy = "CreationTime", bool ascending = true, bool sorted = true)
    {
        var page = await Store.SearchAsync(new PropertySearchQuery(where, sortBy, ascending, MaxResults: 100));
        Assert.Null(page.NextPageToken);
        var names = page.Items.Select(job => job.Name).ToList();
        return sorted ? names.Order(StringComparer.Ordinal).ToList() : names;
    }

    /// <summary>Three jobs: fast (oldest), deep (failed, untagged, max_depth 10), slow (newest).</summary>
    private async Task SeedSearchAsync()
    {
        await Store.CreateAsync(SearchSample("fast", Epoch, depth: "6", eta: "0.3", team: "churn", auc: 0.85, arguments: ["--fast"], dottedKey: true) with { Status = TrainingJobStatus.Completed });
        await Store.CreateAsync(SearchSample("deep", Epoch.AddMinutes(2), depth: "10", eta: "0.1", team: null, auc: 0.91, validation: true, image: "kiln/xgboost:2", costCenter: "7") with { Status = TrainingJobStatus.Failed });
        await Store.CreateAsync(SearchSample("slow", Epoch.AddMinutes(3), depth: "3", eta: "0.05", team: "churn", auc: 0.95, validation: true, costCenter: "8"));
    }

    private TrainingJob SearchSample(
        string name, DateTimeOffset created, string depth, string eta, string? team, double? auc = null, bool validation = false,
        IReadOnlyList<string>? arguments = null, string image = "kiln/sklearn:1", bool dottedKey = false, string? costCenter = null)
    {
        var job = Sample(name, created, nameof(TrainingJobStatus.InProgress));
        var hyperParameters = new Dictionary<string, string> { ["max_depth"] = depth, ["eta"] = eta };
        if (dottedKey)
        {
            hyperParameters["lr.decay"] = "0.5";
        }

        var tags = new List<Tag>();
        if (team is not null)
        {
            tags.Add(new Tag("team", team));
        }

        if (costCenter is not null)
        {
            tags.Add(new Tag("cost.center", costCenter));
        }

        var channels = new List<InputChannel> { new("train", $"s3://b/{name}/train") };
        if (validation)
        {
            channels.Add(new InputChannel("validation", $"s3://b/{name}/validation"));
        }

        return job with
        {
            Spec = job.Spec with { HyperParameters = hyperParameters, Tags = tags, Channels = channels, ContainerArguments = arguments ?? [], TrainingImage = image },
            FinalMetrics = auc is { } value ? [new FinalMetric("validation:auc", value, created)] : [],
        };
    }
}
