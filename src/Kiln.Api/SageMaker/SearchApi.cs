using System.Globalization;
using System.Text.Json;
using Kiln.Api.SageMaker.Shapes;
using Kiln.Core.Experiments;
using Kiln.Core.Registry;

namespace Kiln.Api.SageMaker;

/// <summary>
/// Search over training jobs, experiments, trials, trial components and model packages: each record is the
/// resource as its Describe call returns it, and filters name properties by path (<c>HyperParameters.eta</c>,
/// <c>Metrics.validation:auc</c>, <c>Tags.team</c>, <c>InputDataConfig.ChannelName</c>). A list is matched
/// element by element: a path segment that names an element (by its <c>…Name</c> or <c>Key</c>) selects it.
/// </summary>
internal static class SearchApi
{
    private static readonly string[] Numeric = ["GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo"];

    public static void Register() => SageMakerApi.Add<SearchRequest>("Search", SearchAsync);

    private static async Task<object?> SearchAsync(SearchRequest request, SageMakerCall call)
    {
        if (request.SearchExpression is { } expression)
        {
            Check(expression);
        }

        var (recordName, records) = request.Resource switch
        {
            "TrainingJob" => ("TrainingJob", await TrainingJobsAsync(call)),
            "ExperimentTrialComponent" => ("TrialComponent", (await call.Service<ExperimentService>().ComponentsAsync(call.Aborted))
                .Select(component => Element(ExperimentsApi.Component(call, component, withParents: true))).ToList()),
            "Experiment" => ("Experiment", (await call.Service<ExperimentService>().ListExperimentsAsync(call.Aborted)).Select(e => Element(ExperimentsApi.Experiment(call, e))).ToList()),
            "ExperimentTrial" => ("Trial", (await call.Service<ExperimentService>().ListTrialsAsync(null, null, call.Aborted)).Select(t => Element(ExperimentsApi.Trial(call, t))).ToList()),
            "ModelPackage" => ("ModelPackage", await ModelPackagesAsync(call)),
            _ => throw new SageMakerException("ValidationException", $"Kiln's Search covers TrainingJob, Experiment, ExperimentTrial, ExperimentTrialComponent and ModelPackage, not {request.Resource} yet."),
        };

        var matching = records.Where(record => request.SearchExpression is not { } e || Matches(record, e)).ToList();
        var sortBy = request.SortBy ?? "CreationTime";
        var ordered = matching.OrderBy(record => SortKey(record, sortBy), Comparer<(double?, string?)>.Create(CompareKeys)).ToList();
        if (request.SortOrder != "Ascending")
        {
            ordered.Reverse();
        }

        var (items, next) = JobListing.Slice(ordered, request.NextToken, request.MaxResults);
        return new SearchResponse(items.Select(item => new Dictionary<string, JsonElement> { [recordName] = item }).ToList(), next);
    }

    private static JsonElement Element(object value) => JsonSerializer.SerializeToElement(value, value.GetType(), AwsJson.Options);

    private static async Task<List<JsonElement>> TrainingJobsAsync(SageMakerCall call)
    {
        var services = call.Service<IServiceProvider>();
        var names = new List<string>();
        string? token = null;
        do
        {
            var page = await SageMakerApi.InvokeAsync(services, call.Caller, "ListTrainingJobs", JsonSerializer.SerializeToElement(new { MaxResults = 100, NextToken = token }, AwsJson.Options), call.Aborted);
            names.AddRange(page.GetProperty("TrainingJobSummaries").EnumerateArray().Select(job => job.GetProperty("TrainingJobName").GetString()!));
            token = page.TryGetProperty("NextToken", out var next) ? next.GetString() : null;
        }
        while (token is not null);

        var jobs = new List<JsonElement>();
        foreach (var name in names)
        {
            var job = await SageMakerApi.InvokeAsync(services, call.Caller, "DescribeTrainingJob", JsonSerializer.SerializeToElement(new { TrainingJobName = name }), call.Aborted);
            jobs.Add(await WithTagsAsync(job, job.GetProperty("TrainingJobArn").GetString()!, call));
        }

        return jobs;
    }

    private static async Task<List<JsonElement>> ModelPackagesAsync(SageMakerCall call)
    {
        var services = call.Service<IServiceProvider>();
        var packages = await call.Service<ModelPackageService>().ListPackagesAsync(new PackageQuery(null, null, null, null, null, false, false, int.MaxValue, null), call.Aborted);
        var described = new List<JsonElement>();
        foreach (var package in packages.Items)
        {
            var arn = RegistryApi.PackageArn(call, package.GroupName, package.VersionNumber);
            var record = await SageMakerApi.InvokeAsync(services, call.Caller, "DescribeModelPackage", JsonSerializer.SerializeToElement(new { ModelPackageName = arn }), call.Aborted);
            described.Add(await WithTagsAsync(record, arn, call));
        }

        return described;
    }

    /// <summary>Search's records carry the resource's tags, which its Describe output does not.</summary>
    private static async Task<JsonElement> WithTagsAsync(JsonElement described, string arn, SageMakerCall call)
    {
        var tags = await TagsApi.VisibleAsync(arn, call);
        if (tags.Count == 0)
        {
            return described;
        }

        var record = System.Text.Json.Nodes.JsonObject.Create(described)!;
        record["Tags"] = JsonSerializer.SerializeToNode(tags, AwsJson.Options);
        return JsonSerializer.SerializeToElement(record);
    }

    /// <summary>Rejects what can't be evaluated before looking at any record: a missing value, a non-number for a numeric operator.</summary>
    private static void Check(SearchExpression expression)
    {
        if (expression.Filters is null && expression.NestedFilters is null && expression.SubExpressions is null)
        {
            throw new SageMakerException("ValidationException", "A SearchExpression needs at least one of Filters, NestedFilters and SubExpressions.");
        }

        foreach (var filter in (expression.Filters ?? []).Concat((expression.NestedFilters ?? []).SelectMany(nested => nested.Filters ?? [])))
        {
            var op = filter.Operator ?? "Equals";
            if (op is not ("Exists" or "NotExists") && filter.Value is null)
            {
                throw new SageMakerException("ValidationException", $"Filter '{filter.Name}': the {op} operator needs a Value.");
            }

            if (Numeric.Contains(op) && Number(filter.Value!) is null)
            {
                throw new SageMakerException("ValidationException", $"Filter '{filter.Name}': {op} compares numbers or times, and '{filter.Value}' is neither.");
            }
        }

        foreach (var nested in expression.NestedFilters ?? [])
        {
            foreach (var filter in nested.Filters!.Where(filter => !filter.Name!.StartsWith(nested.NestedPropertyName + ".", StringComparison.Ordinal)))
            {
                throw new SageMakerException("ValidationException", $"NestedFilters '{nested.NestedPropertyName}': the filter '{filter.Name}' must name a property under {nested.NestedPropertyName}.");
            }
        }

        foreach (var sub in expression.SubExpressions ?? [])
        {
            Check(sub);
        }
    }

    private static bool Matches(JsonElement record, SearchExpression expression)
    {
        var results = new List<bool>();
        results.AddRange((expression.Filters ?? []).Select(filter => Matches(record, filter)));
        foreach (var nested in expression.NestedFilters ?? [])
        {
            // All of a nested group's filters must hold for the same element of the list.
            var elements = Values(record, Split(nested.NestedPropertyName!), expandLists: false).SelectMany(value => value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : new List<JsonElement> { value });
            results.Add(elements.Any(element => nested.Filters!.All(filter => Matches(element, filter with { Name = filter.Name![(nested.NestedPropertyName!.Length + 1)..] }))));
        }

        results.AddRange((expression.SubExpressions ?? []).Select(sub => Matches(record, sub)));
        return expression.Operator == "Or" ? results.Any(result => result) : results.All(result => result);
    }

    private static bool Matches(JsonElement record, SearchFilter filter)
    {
        var values = Values(record, Split(filter.Name!), expandLists: true).Select(Leaf).Where(value => value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)).ToList();
        var op = filter.Operator ?? "Equals";
        return op switch
        {
            "Exists" => values.Count > 0,
            "NotExists" => values.Count == 0,
            "NotEquals" => values.All(value => Compare(value, filter.Value!) != 0),
            "In" => values.Any(value => filter.Value!.Split(',').Select(item => item.Trim()).Any(item => Compare(value, item) == 0)),
            "Contains" => values.Any(value => Text(value).Contains(filter.Value!, StringComparison.OrdinalIgnoreCase)),
            "Equals" => values.Any(value => Compare(value, filter.Value!) == 0),
            "GreaterThan" => values.Any(value => Compare(value, filter.Value!) > 0),
            "GreaterThanOrEqualTo" => values.Any(value => Compare(value, filter.Value!) >= 0),
            "LessThan" => values.Any(value => Compare(value, filter.Value!) < 0),
            _ => values.Any(value => Compare(value, filter.Value!) <= 0),
        };
    }

    private static List<string> Split(string path) => path.Split('.').ToList();

    /// <summary>The values a path reaches; a list either fans out (each element) or, when the next segment names one of its elements, selects it.</summary>
    private static IEnumerable<JsonElement> Values(JsonElement value, List<string> path, bool expandLists)
    {
        if (path.Count == 0)
        {
            if (expandLists && value.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in value.EnumerateArray())
                {
                    yield return item;
                }
            }
            else
            {
                yield return value;
            }

            yield break;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                // Keys may hold dots (hyperparameter names): try the longest key first.
                for (var take = path.Count; take >= 1; take--)
                {
                    if (value.TryGetProperty(string.Join('.', path.Take(take)), out var member))
                    {
                        foreach (var found in Values(member, path.Skip(take).ToList(), expandLists))
                        {
                            yield return found;
                        }

                        yield break;
                    }
                }

                break;
            case JsonValueKind.Array:
                var named = value.EnumerateArray().Where(item => Names(item).Any(name => name == string.Join('.', path) || name == path[0])).ToList();
                if (named.Count > 0)
                {
                    foreach (var item in named)
                    {
                        var consumed = Names(item).Contains(string.Join('.', path)) ? path.Count : 1;
                        foreach (var found in Values(item, path.Skip(consumed).ToList(), expandLists))
                        {
                            yield return found;
                        }
                    }

                    yield break;
                }

                foreach (var item in value.EnumerateArray())
                {
                    foreach (var found in Values(item, path, expandLists))
                    {
                        yield return found;
                    }
                }

                break;
        }
    }

    private static IEnumerable<string> Names(JsonElement item) =>
        item.ValueKind != JsonValueKind.Object
            ? []
            : item.EnumerateObject().Where(p => (p.Name.EndsWith("Name", StringComparison.Ordinal) || p.Name == "Key") && p.Value.ValueKind == JsonValueKind.String).Select(p => p.Value.GetString()!);

    /// <summary>A selected element stands for its value: a metric's Value (or Last), a tag's Value, a parameter's StringValue or NumberValue.</summary>
    private static JsonElement Leaf(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return value;
        }

        foreach (var name in new[] { "Value", "Last", "NumberValue", "StringValue" })
        {
            if (value.TryGetProperty(name, out var inner))
            {
                return inner;
            }
        }

        return value;
    }

    private static int Compare(JsonElement value, string filter)
    {
        if (Number(value) is { } a && Number(filter) is { } b)
        {
            return a.CompareTo(b);
        }

        return string.Compare(Text(value), filter, StringComparison.Ordinal);
    }

    private static double? Number(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String => Number(value.GetString()!),
        _ => null,
    };

    /// <summary>Numbers, and times (ISO 8601) as epoch seconds, the way timestamps travel.</summary>
    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) && text.Contains('-', StringComparison.Ordinal) ? time.ToUnixTimeMilliseconds() / 1000.0
        : null;

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    private static (double?, string?) SortKey(JsonElement record, string path)
    {
        var value = Values(record, Split(path), expandLists: true).Select(Leaf).FirstOrDefault();
        return value.ValueKind == JsonValueKind.Undefined ? (null, null) : (Number(value), Text(value));
    }

    private static int CompareKeys((double? Number, string? Text) a, (double? Number, string? Text) b) =>
        a.Number is { } x && b.Number is { } y ? x.CompareTo(y) : string.Compare(a.Text, b.Text, StringComparison.Ordinal);
}
