using System.Globalization;
using Kiln.Api.SageMaker.Shapes;
using Kiln.Api.Security.Permissions;
using Kiln.Core.Experiments;
using Kiln.Core.Security.Permissions;
using Kiln.Core.Tracking;

namespace Kiln.Api.SageMaker;

/// <summary>Experiments, trials and trial components: SageMaker's view of MLflow experiments and runs.</summary>
internal static class ExperimentsApi
{
    public static void Register()
    {
        SageMakerApi.Add<CreateExperimentRequest>("CreateExperiment", CreateExperimentAsync);
        SageMakerApi.Add<ExperimentNameRequest>("DescribeExperiment", DescribeExperimentAsync);
        SageMakerApi.Add<ListEntitiesRequest>("ListExperiments", ListExperimentsAsync);
        SageMakerApi.Add<ExperimentNameRequest>("UpdateExperiment", UpdateExperimentAsync);
        SageMakerApi.Add<ExperimentNameRequest>("DeleteExperiment", DeleteExperimentAsync);
        SageMakerApi.Add<CreateTrialRequest>("CreateTrial", CreateTrialAsync);
        SageMakerApi.Add<TrialNameRequest>("DescribeTrial", DescribeTrialAsync);
        SageMakerApi.Add<ListEntitiesRequest>("ListTrials", ListTrialsAsync);
        SageMakerApi.Add<TrialNameRequest>("UpdateTrial", UpdateTrialAsync);
        SageMakerApi.Add<TrialNameRequest>("DeleteTrial", DeleteTrialAsync);
        SageMakerApi.Add<TrialComponentRequest>("CreateTrialComponent", CreateComponentAsync);
        SageMakerApi.Add<TrialComponentNameRequest>("DescribeTrialComponent", DescribeComponentAsync);
        SageMakerApi.Add<ListEntitiesRequest>("ListTrialComponents", ListComponentsAsync);
        SageMakerApi.Add<TrialComponentRequest>("UpdateTrialComponent", UpdateComponentAsync);
        SageMakerApi.Add<TrialComponentNameRequest>("DeleteTrialComponent", DeleteComponentAsync);
        SageMakerApi.Add<AssociateTrialComponentRequest>("AssociateTrialComponent", AssociateAsync);
        SageMakerApi.Add<AssociateTrialComponentRequest>("DisassociateTrialComponent", DisassociateAsync);
    }

    private static ExperimentService Experiments(SageMakerCall call) => call.Service<ExperimentService>();

    public static string ExperimentArn(SageMakerCall call, string name) => call.Arn("experiment", name);

    public static string TrialArn(SageMakerCall call, string name) => call.Arn("experiment-trial", name);

    public static string ComponentArn(SageMakerCall call, string name) => call.Arn("experiment-trial-component", name);

    private static DateTimeOffset Time(long millis) => DateTimeOffset.FromUnixTimeMilliseconds(millis);

    private static async Task<object?> CreateExperimentAsync(CreateExperimentRequest request, SageMakerCall call)
    {
        var created = await AlreadyExists.AsValidationAsync(
            Experiments(call).CreateExperimentAsync(request.ExperimentName!, request.DisplayName, request.Description, Tags(request.Tags), call.Aborted),
            $"Experiment names must be unique within an AWS account and region; the experiment {ExperimentArn(call, request.ExperimentName!)} already exists.");
        await SageMakerPermissionRules.GrantCreatorAsync(call, ResourceKind.Experiment, created.Experiment.ExperimentId);
        return new ExperimentArnResponse(ExperimentArn(call, request.ExperimentName!));
    }

    public static DescribeExperimentResponse Experiment(SageMakerCall call, SageMakerExperiment experiment) =>
        new(experiment.Name, ExperimentArn(call, experiment.Name), experiment.DisplayName, experiment.Description, Time(experiment.Experiment.CreationTime), Time(experiment.Experiment.LastUpdateTime));

    private static async Task<object?> DescribeExperimentAsync(ExperimentNameRequest request, SageMakerCall call) =>
        Experiment(call, await Experiments(call).DescribeExperimentAsync(request.ExperimentName!, call.Aborted));

    private static async Task<object?> ListExperimentsAsync(ListEntitiesRequest request, SageMakerCall call)
    {
        var experiments = (await SageMakerPermissionRules.ReadableAsync(call, await Experiments(call).ListExperimentsAsync(call.Aborted), ResourceKind.Experiment, experiment => experiment.Experiment.ExperimentId))
            .Select(experiment => new ExperimentSummary(ExperimentArn(call, experiment.Name), experiment.Name, experiment.DisplayName, Time(experiment.Experiment.CreationTime), Time(experiment.Experiment.LastUpdateTime)));
        var (items, next) = Page(experiments, e => e.ExperimentName, e => e.CreationTime, request);
        return new ListExperimentsResponse(items, next);
    }

    private static async Task<object?> UpdateExperimentAsync(ExperimentNameRequest request, SageMakerCall call)
    {
        await Experiments(call).UpdateExperimentAsync(request.ExperimentName!, request.DisplayName, request.Description, call.Aborted);
        return new ExperimentArnResponse(ExperimentArn(call, request.ExperimentName!));
    }

    private static async Task<object?> DeleteExperimentAsync(ExperimentNameRequest request, SageMakerCall call)
    {
        await Experiments(call).DeleteExperimentAsync(request.ExperimentName!, call.Aborted);
        return new ExperimentArnResponse(ExperimentArn(call, request.ExperimentName!));
    }

    private static async Task<object?> CreateTrialAsync(CreateTrialRequest request, SageMakerCall call)
    {
        await AlreadyExists.AsValidationAsync(
            Experiments(call).CreateTrialAsync(request.TrialName!, request.ExperimentName!, request.DisplayName, Tags(request.Tags), call.Caller.AccessKeyId, call.Aborted),
            $"Trial names must be unique within an AWS account and region; the trial {TrialArn(call, request.TrialName!)} already exists.");
        return new TrialArnResponse(TrialArn(call, request.TrialName!));
    }

    public static DescribeTrialResponse Trial(SageMakerCall call, Trial trial) =>
        new(trial.Name, TrialArn(call, trial.Name), trial.DisplayName, trial.ExperimentName, Time(trial.Run.Info.StartTime ?? 0), Time(trial.Run.Info.EndTime ?? trial.Run.Info.StartTime ?? 0));

    private static async Task<object?> DescribeTrialAsync(TrialNameRequest request, SageMakerCall call) =>
        Trial(call, await Experiments(call).DescribeTrialAsync(request.TrialName!, call.Aborted));

    private static async Task<object?> ListTrialsAsync(ListEntitiesRequest request, SageMakerCall call)
    {
        var trials = (await SageMakerPermissionRules.ReadableAsync(call, await Experiments(call).ListTrialsAsync(request.ExperimentName, request.TrialComponentName, call.Aborted), ResourceKind.Experiment, trial => trial.Run.Info.ExperimentId))
            .Select(trial => Trial(call, trial))
            .Select(trial => new TrialSummary(trial.TrialArn, trial.TrialName, trial.DisplayName, trial.CreationTime, trial.LastModifiedTime));
        var (items, next) = Page(trials, t => t.TrialName, t => t.CreationTime, request);
        return new ListTrialsResponse(items, next);
    }

    private static async Task<object?> UpdateTrialAsync(TrialNameRequest request, SageMakerCall call)
    {
        await Experiments(call).UpdateTrialAsync(request.TrialName!, request.DisplayName, call.Aborted);
        return new TrialArnResponse(TrialArn(call, request.TrialName!));
    }

    private static async Task<object?> DeleteTrialAsync(TrialNameRequest request, SageMakerCall call)
    {
        await Experiments(call).DeleteTrialAsync(request.TrialName!, call.Aborted);
        return new TrialArnResponse(TrialArn(call, request.TrialName!));
    }

    private static TrialComponentChange Change(TrialComponentRequest request)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in request.Parameters ?? [])
        {
            parameters[key] = value switch
            {
                { NumberValue: { } number, StringValue: null } => number.ToString("R", CultureInfo.InvariantCulture),
                { StringValue: { } text, NumberValue: null } => text,
                _ => throw new SageMakerException("ValidationException", $"Parameters '{key}' needs exactly one of StringValue and NumberValue."),
            };
        }

        return new TrialComponentChange(
            request.DisplayName,
            request.Status?.PrimaryStatus switch
            {
                "InProgress" => RunStatus.Running,
                "Completed" => RunStatus.Finished,
                "Failed" => RunStatus.Failed,
                "Stopping" or "Stopped" => RunStatus.Killed,
                _ => null,
            },
            request.Status?.Message,
            request.StartTime?.ToUnixTimeMilliseconds(),
            request.EndTime?.ToUnixTimeMilliseconds(),
            parameters,
            request.ParametersToRemove ?? [],
            (request.InputArtifacts ?? []).ToDictionary(pair => pair.Key, pair => pair.Value.Value!),
            request.InputArtifactsToRemove ?? [],
            (request.OutputArtifacts ?? []).ToDictionary(pair => pair.Key, pair => pair.Value.Value!),
            request.OutputArtifactsToRemove ?? [],
            Tags(request.Tags));
    }

    private static async Task<object?> CreateComponentAsync(TrialComponentRequest request, SageMakerCall call)
    {
        await AlreadyExists.AsValidationAsync(
            Experiments(call).CreateTrialComponentAsync(request.TrialComponentName!, Change(request), call.Caller.AccessKeyId, call.Aborted),
            $"Trial component names must be unique within an AWS account and region; the trial component {ComponentArn(call, request.TrialComponentName!)} already exists.");
        return new TrialComponentArnResponse(ComponentArn(call, request.TrialComponentName!));
    }

    public static TrialComponentRecord Component(SageMakerCall call, TrialComponent component, bool withParents = false)
    {
        var info = component.Run.Info;
        return new TrialComponentRecord
        {
            TrialComponentName = component.Name,
            TrialComponentArn = ComponentArn(call, component.Name),
            DisplayName = component.DisplayName,
            Source = component.SourceArn is { } source ? new TrialComponentSource(source, source.Contains(":training-job/", StringComparison.Ordinal) ? "SageMakerTrainingJob" : null) : null,
            Status = new TrialComponentStatus
            {
                PrimaryStatus = component.PrimaryStatus,
                Message = component.StatusMessage,
            },
            StartTime = info.StartTime is { } start ? Time(start) : null,
            EndTime = info.EndTime is { } end ? Time(end) : null,
            CreationTime = Time(info.StartTime ?? 0),
            LastModifiedTime = Time(info.EndTime ?? info.StartTime ?? 0),
            Parameters = component.Parameters.ToDictionary(
                param => param.Key,
                param => double.TryParse(param.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
                    ? new TrialComponentParameterValue { NumberValue = number }
                    : new TrialComponentParameterValue { StringValue = param.Value }),
            InputArtifacts = component.Inputs.ToDictionary(pair => pair.Key, pair => new TrialComponentArtifact { Value = pair.Value }),
            OutputArtifacts = component.Outputs.ToDictionary(pair => pair.Key, pair => new TrialComponentArtifact { Value = pair.Value }),
            Metrics = component.Metrics.Select(metric => new TrialComponentMetricSummary(metric.Name, component.SourceArn, Time(metric.Timestamp), metric.Max, metric.Min, metric.Last, metric.Count, metric.Avg, metric.StdDev)).ToList(),
            Tags = withParents ? component.UserTags.Select(tag => new Shapes.Tag { Key = tag.Key, Value = tag.Value }).ToList() : null,
            Parents = withParents ? component.Trials.Select(trial => new TrialNameOnly(trial, component.ExperimentName)).ToList() : null,
        };
    }

    private static async Task<object?> DescribeComponentAsync(TrialComponentNameRequest request, SageMakerCall call)
    {
        var name = request.TrialComponentName!;
        var marker = name.IndexOf(":experiment-trial-component/", StringComparison.Ordinal);
        return Component(call, await Experiments(call).DescribeTrialComponentAsync(marker >= 0 ? name[(marker + ":experiment-trial-component/".Length)..] : name, call.Aborted));
    }

    private static async Task<object?> ListComponentsAsync(ListEntitiesRequest request, SageMakerCall call)
    {
        var components = (await SageMakerPermissionRules.ReadableComponentsAsync(call, await Experiments(call).ListTrialComponentsAsync(request.ExperimentName, request.TrialName, request.SourceArn, call.Aborted)))
            .Select(component => Component(call, component))
            .Select(c => new TrialComponentSummary(c.TrialComponentName, c.TrialComponentArn, c.DisplayName, c.Source, c.Status, c.StartTime, c.EndTime, c.CreationTime, c.LastModifiedTime));
        var (items, next) = Page(components, c => c.TrialComponentName, c => c.CreationTime, request);
        return new ListTrialComponentsResponse(items, next);
    }

    private static async Task<object?> UpdateComponentAsync(TrialComponentRequest request, SageMakerCall call)
    {
        await Experiments(call).UpdateTrialComponentAsync(request.TrialComponentName!, Change(request), call.Aborted);
        return new TrialComponentArnResponse(ComponentArn(call, request.TrialComponentName!));
    }

    private static async Task<object?> DeleteComponentAsync(TrialComponentNameRequest request, SageMakerCall call)
    {
        var component = await Experiments(call).DeleteTrialComponentAsync(request.TrialComponentName!, call.Aborted);
        return new TrialComponentArnResponse(ComponentArn(call, component.Name));
    }

    private static async Task<object?> AssociateAsync(AssociateTrialComponentRequest request, SageMakerCall call)
    {
        var (component, trial) = await Experiments(call).AssociateAsync(request.TrialComponentName!, request.TrialName!, call.Aborted);
        return new AssociateTrialComponentResponse(ComponentArn(call, component.Name), TrialArn(call, trial.Name));
    }

    private static async Task<object?> DisassociateAsync(AssociateTrialComponentRequest request, SageMakerCall call)
    {
        var (component, trial) = await Experiments(call).DisassociateAsync(request.TrialComponentName!, request.TrialName!, call.Aborted);
        return new AssociateTrialComponentResponse(ComponentArn(call, component.Name), TrialArn(call, trial.Name));
    }

    private static (List<T> Items, string? NextToken) Page<T>(IEnumerable<T> items, Func<T, string> name, Func<T, DateTimeOffset> created, ListEntitiesRequest request)
    {
        var filtered = items.Where(item => (request.CreatedAfter is null || created(item) > request.CreatedAfter) && (request.CreatedBefore is null || created(item) < request.CreatedBefore));
        var ordered = request.SortBy == "Name" ? filtered.OrderBy(name, StringComparer.Ordinal) : filtered.OrderBy(created).ThenBy(name, StringComparer.Ordinal);
        return JobListing.Slice((request.SortOrder == "Ascending" ? ordered : ordered.Reverse()).ToList(), request.NextToken, request.MaxResults);
    }

    private static List<Core.Tracking.Tag> Tags(List<Shapes.Tag>? tags) => (tags ?? []).Select(tag => new Core.Tracking.Tag(tag.Key!, tag.Value!)).ToList();
}
