using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Api.SageMaker.Shapes;
using Kiln.Api.Security.Permissions;
using Kiln.Core.Common;
using Kiln.Core.Experiments;
using Kiln.Core.Registry;
using Kiln.Core.Search;
using Kiln.Core.Security.Permissions;
using Kiln.Core.Training;

namespace Kiln.Api.SageMaker;

/// <summary>
/// Search over training jobs, experiments, trials, trial components and model packages: the request becomes the
/// domain's <see cref="PropertySearchQuery"/> (SageMaker's property names mapped by <see cref="SearchPaths"/>),
/// which the training job store evaluates in its query language and the experiment and registry services over
/// their records; each result is the resource as its Describe call shows it, with its tags.
/// </summary>
internal static class SearchApi
{
    public static void Register() => SageMakerApi.Add<SearchRequest>("Search", SearchAsync);

    private static async Task<object?> SearchAsync(SearchRequest request, SageMakerCall call)
    {
        if (request.SearchExpression is { } expression)
        {
            Check(expression);
        }

        var paths = request.Resource switch
        {
            "TrainingJob" => SearchPaths.TrainingJob,
            "ExperimentTrialComponent" => SearchPaths.TrialComponent,
            "Experiment" => SearchPaths.Experiment,
            "ExperimentTrial" => SearchPaths.Trial,
            "ModelPackage" => SearchPaths.ModelPackage,
            "FeatureGroup" or "FeatureMetadata" => SearchPaths.Identity,
            _ => throw new SageMakerException("ValidationException", $"Kiln's Search covers TrainingJob, Experiment, ExperimentTrial, ExperimentTrialComponent, ModelPackage, FeatureGroup and FeatureMetadata, not {request.Resource} yet."),
        };
        var query = new PropertySearchQuery(
            request.SearchExpression is { } e ? ToDomain(e).MapPaths(paths.Map, paths.MapNested) : null,
            paths.Map(request.SortBy ?? "CreationTime"),
            request.SortOrder == "Ascending",
            request.MaxResults ?? 10,
            request.NextToken);
        var experiments = call.Service<ExperimentService>();
        var (results, next) = request.Resource switch
        {
            "TrainingJob" => Results(await PageAsync(request, () => call.Service<TrainingJobService>().SearchAsync(query, call.Aborted)), "TrainingJob",
                job => WithTags(TrainingJobsApi.Describe(call, job), job.Spec.Tags)),
            "ExperimentTrialComponent" => Results(
                await ReadableAsync(await PageAsync(request, () => experiments.SearchTrialComponentsAsync(query, call.Aborted)), items => SageMakerPermissionRules.ReadableComponentsAsync(call, items)),
                "TrialComponent",
                component => Element(ExperimentsApi.Component(call, component, withParents: true))),
            "Experiment" => Results(
                await ReadableAsync(await PageAsync(request, () => experiments.SearchExperimentsAsync(query, call.Aborted)), items => SageMakerPermissionRules.ReadableAsync(call, items, ResourceKind.Experiment, experiment => experiment.Experiment.ExperimentId)),
                "Experiment",
                experiment => Element(ExperimentsApi.Experiment(call, experiment))),
            "ExperimentTrial" => Results(
                await ReadableAsync(await PageAsync(request, () => experiments.SearchTrialsAsync(query, call.Aborted)), items => SageMakerPermissionRules.ReadableAsync(call, items, ResourceKind.Experiment, trial => trial.Run.Info.ExperimentId)),
                "Trial",
                trial => Element(ExperimentsApi.Trial(call, trial))),
            "FeatureGroup" => await FeatureGroupsAsync(call, query),
            "FeatureMetadata" => await FeatureMetadataAsync(call, query),
            _ => Results(
                await ReadableAsync(await PageAsync(request, () => call.Service<ModelPackageService>().SearchPackagesAsync(query, call.Aborted)), items => SageMakerPermissionRules.ReadableAsync(call, items, ResourceKind.RegisteredModel, package => package.GroupName)),
                "ModelPackage",
                package => WithTags(RegistryApi.Describe(call, package), package.UserTags)),
        };
        return new SearchResponse(results, next);
    }

    /// <summary>Feature groups are few: each is searched as its Describe output with its tags, in memory.</summary>
    private static async Task<(List<Dictionary<string, JsonElement>>, string?)> FeatureGroupsAsync(SageMakerCall call, PropertySearchQuery query)
    {
        var documents = (await FeatureStoreApi.AllAsync(call)).Select(FeatureGroupRecord).ToList();
        return Results(Run(documents, query), "FeatureGroup", document => document);
    }

    /// <summary>One FeatureMetadata record per feature of every group, as DescribeFeatureMetadata shows it.</summary>
    private static async Task<(List<Dictionary<string, JsonElement>>, string?)> FeatureMetadataAsync(SageMakerCall call, PropertySearchQuery query)
    {
        var documents = (await FeatureStoreApi.AllAsync(call))
            .SelectMany(group => group.Features.Select(feature => Element(FeatureStoreApi.Metadata(group, feature))))
            .ToList();
        return Results(Run(documents, query), "FeatureMetadata", document => document);
    }

    private static Page<JsonElement> Run(List<JsonElement> documents, PropertySearchQuery query)
    {
        try
        {
            return PropertySearch.Run(documents, query, document => document);
        }
        catch (KilnException e) when (e.Code == ErrorCode.InvalidParameterValue)
        {
            throw new SageMakerException("ValidationException", query.PageToken is { } token ? $"Invalid NextToken: {token}" : e.Message);
        }
    }

    private static JsonElement FeatureGroupRecord(Core.FeatureStore.FeatureGroup group)
    {
        var record = JsonObject.Create(Element(FeatureStoreApi.Describe(group)))!;
        record.Remove("NextToken");
        if (group.Tags.Count > 0)
        {
            record["Tags"] = JsonSerializer.SerializeToNode(group.Tags.Select(tag => new Tag { Key = tag.Key, Value = tag.Value }).ToList(), AwsJson.Options);
        }

        return JsonSerializer.SerializeToElement(record);
    }

    private static (List<Dictionary<string, JsonElement>>, string?) Results<T>(Page<T> page, string recordName, Func<T, JsonElement> record) =>
        (page.Items.Select(item => new Dictionary<string, JsonElement> { [recordName] = record(item) }).ToList(), page.NextPageToken);

    /// <summary>
    /// A page with only what the caller may read (MLflow's permissions: an experiment's trials and trial components
    /// are its runs, a model package is a version of its group's registered model). Filtered after paging, as MLflow
    /// filters its searches: a page may come back shorter, its NextToken still leads on.
    /// </summary>
    private static async Task<Page<T>> ReadableAsync<T>(Page<T> page, Func<IReadOnlyList<T>, Task<IReadOnlyList<T>>> readable) =>
        new(await readable(page.Items), page.NextPageToken);

    private static async Task<Page<T>> PageAsync<T>(SearchRequest request, Func<Task<Page<T>>> search)
    {
        try
        {
            return await search();
        }
        catch (KilnException e) when (e.Code == ErrorCode.InvalidParameterValue && request.NextToken is not null)
        {
            throw new SageMakerException("ValidationException", $"Invalid NextToken: {request.NextToken}");
        }
    }

    private static JsonElement Element(object value) => JsonSerializer.SerializeToElement(value, value.GetType(), AwsJson.Options);

    /// <summary>Search's records carry the resource's tags, which its Describe output does not.</summary>
    private static JsonElement WithTags(object described, IReadOnlyList<Core.Tracking.Tag> tags)
    {
        var element = Element(described);
        if (tags.Count == 0)
        {
            return element;
        }

        var record = JsonObject.Create(element)!;
        record["Tags"] = JsonSerializer.SerializeToNode(tags.Select(tag => new Tag { Key = tag.Key, Value = tag.Value }).ToList(), AwsJson.Options);
        return JsonSerializer.SerializeToElement(record);
    }

    private static Core.Search.SearchExpression ToDomain(Shapes.SearchExpression expression) => new(
        (expression.Filters ?? []).Select(ToDomain).ToList(),
        (expression.NestedFilters ?? []).Select(nested => new NestedFilter(
            nested.NestedPropertyName!,
            nested.Filters!.Select(filter => ToDomain(filter with { Name = filter.Name![(nested.NestedPropertyName!.Length + 1)..] })).ToList())).ToList(),
        (expression.SubExpressions ?? []).Select(ToDomain).ToList(),
        expression.Operator == "Or" ? BooleanOperator.Or : BooleanOperator.And);

    private static PropertyFilter ToDomain(SearchFilter filter) => new(filter.Name!, filter.Operator switch
    {
        "NotEquals" => Comparator.NotEqual,
        "GreaterThan" => Comparator.Greater,
        "GreaterThanOrEqualTo" => Comparator.GreaterOrEqual,
        "LessThan" => Comparator.Less,
        "LessThanOrEqualTo" => Comparator.LessOrEqual,
        "Contains" => Comparator.Contains,
        "Exists" => Comparator.IsNotNull,
        "NotExists" => Comparator.IsNull,
        "In" => Comparator.In,
        _ => Comparator.Equal,
    }, filter.Value);

    /// <summary>Rejects what can't be evaluated before looking at any record: a missing value, a non-number for a numeric operator.</summary>
    private static void Check(Shapes.SearchExpression expression)
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

            if (PropertySearchQuery.Ordering.Contains(ToDomain(filter).Comparator) && SearchValues.Number(filter.Value!) is null)
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
}
