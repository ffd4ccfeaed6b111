using Kiln.Api.SageMaker;
using Kiln.Api.SageMaker.Shapes;
using Kiln.Core.Experiments;
using Kiln.Core.Security.Permissions;

namespace Kiln.Api.Security.Permissions;

/// <summary>
/// MLflow's permissions on the SageMaker side: an experiment is an MLflow experiment, a trial or trial component is
/// one of its runs, a model package group is a registered model and a model package one of its versions. Each call
/// needs the permission its MLflow counterpart needs; refused, it is SageMaker's AccessDeniedException. A trial
/// component created on its own is a run in MLflow's default experiment: it is governed by the experiments of the
/// trials it is associated with, and open to whoever may sign in while it is in none. Creating needs no permission and makes the creator a manager; lists show only what the
/// caller may read.
/// </summary>
internal static class SageMakerPermissionRules
{
    public static async ValueTask CheckAsync(string operation, object request, SageMakerCall call)
    {
        if (call.Who.IsAdmin)
        {
            return;
        }

        switch (operation, request)
        {
            case ("DescribeExperiment", ExperimentNameRequest r):
                await ExperimentAsync(call, r.ExperimentName, ResourceAction.Read);
                break;
            case ("UpdateExperiment", ExperimentNameRequest r):
                await ExperimentAsync(call, r.ExperimentName, ResourceAction.Update);
                break;
            case ("DeleteExperiment", ExperimentNameRequest r):
                await ExperimentAsync(call, r.ExperimentName, ResourceAction.Delete);
                break;
            case ("CreateTrial", CreateTrialRequest r):
                await ExperimentAsync(call, r.ExperimentName, ResourceAction.Update);
                break;
            case ("DescribeTrial", TrialNameRequest r):
                await TrialAsync(call, r.TrialName, ResourceAction.Read);
                break;
            case ("UpdateTrial", TrialNameRequest r):
                await TrialAsync(call, r.TrialName, ResourceAction.Update);
                break;
            case ("DeleteTrial", TrialNameRequest r):
                await TrialAsync(call, r.TrialName, ResourceAction.Delete);
                break;
            case ("DescribeTrialComponent", TrialComponentNameRequest r):
                await ComponentAsync(call, r.TrialComponentName, ResourceAction.Read);
                break;
            case ("DeleteTrialComponent", TrialComponentNameRequest r):
                await ComponentAsync(call, r.TrialComponentName, ResourceAction.Delete);
                break;
            case ("UpdateTrialComponent", TrialComponentRequest r):
                await ComponentAsync(call, r.TrialComponentName, ResourceAction.Update);
                break;
            case ("AssociateTrialComponent" or "DisassociateTrialComponent", AssociateTrialComponentRequest r):
                await TrialAsync(call, r.TrialName, ResourceAction.Update);
                await ComponentAsync(call, r.TrialComponentName, ResourceAction.Update);
                break;
            case ("DescribeModelPackageGroup", ModelPackageGroupNameInput r):
                await ModelAsync(call, GroupName(r.ModelPackageGroupName), ResourceAction.Read);
                break;
            case ("DeleteModelPackageGroup", ModelPackageGroupNameInput r):
                await ModelAsync(call, GroupName(r.ModelPackageGroupName), ResourceAction.Delete);
                break;
            case ("CreateModelPackage", CreateModelPackageInput r):
                await ModelAsync(call, GroupName(r.ModelPackageGroupName), ResourceAction.Update);
                break;
            case ("DescribeModelPackage", ModelPackageNameInput r) when r.ModelPackageName is not null:
                await ModelAsync(call, RegistryApi.ParsePackageArn(r.ModelPackageName).Group, ResourceAction.Read);
                break;
            case ("DeleteModelPackage", ModelPackageNameInput r) when r.ModelPackageName is not null:
                await ModelAsync(call, RegistryApi.ParsePackageArn(r.ModelPackageName).Group, ResourceAction.Delete);
                break;
            case ("UpdateModelPackage", UpdateModelPackageInput r) when r.ModelPackageArn is not null:
                await ModelAsync(call, RegistryApi.ParsePackageArn(r.ModelPackageArn).Group, ResourceAction.Update);
                break;
        }
    }

    /// <summary>The items of a list the caller may read.</summary>
    public static Task<IReadOnlyList<T>> ReadableAsync<T>(SageMakerCall call, IReadOnlyList<T> items, ResourceKind kind, Func<T, string?> resourceOf) =>
        Permissions(call).ReadableAsync(call.Who, items, kind, item => resourceOf(item) ?? "", call.Aborted);

    /// <summary>The items of a list of trial components the caller may read (unassociated ones are readable by everyone).</summary>
    public static Task<IReadOnlyList<TrialComponent>> ReadableComponentsAsync(SageMakerCall call, IReadOnlyList<TrialComponent> components) =>
        call.Who.IsAdmin
            ? Task.FromResult(components)
            : FilterComponentsAsync(call, components);

    public static Task GrantCreatorAsync(SageMakerCall call, ResourceKind kind, string resource) =>
        Permissions(call).GrantCreatorAsync(call.Who, kind, resource, call.Aborted);

    private static async Task<IReadOnlyList<TrialComponent>> FilterComponentsAsync(SageMakerCall call, IReadOnlyList<TrialComponent> components)
    {
        var readable = new List<TrialComponent>(components.Count);
        foreach (var component in components)
        {
            var allowed = true;
            foreach (var experimentId in await ExperimentsOfAsync(call, component))
            {
                allowed &= await Permissions(call).AllowsAsync(call.Who, ResourceKind.Experiment, experimentId, ResourceAction.Read, call.Aborted);
            }

            if (allowed)
            {
                readable.Add(component);
            }
        }

        return readable;
    }

    private static ResourcePermissions Permissions(SageMakerCall call) => call.Service<ResourcePermissions>();

    private static ExperimentService Experiments(SageMakerCall call) => call.Service<ExperimentService>();

    private static async Task ExperimentAsync(SageMakerCall call, string? name, ResourceAction action)
    {
        if (name is not null)
        {
            var experiment = await Experiments(call).DescribeExperimentAsync(name, call.Aborted);
            await Permissions(call).DemandAsync(call.Who, ResourceKind.Experiment, experiment.Experiment.ExperimentId, action, call.Aborted);
        }
    }

    private static async Task TrialAsync(SageMakerCall call, string? name, ResourceAction action)
    {
        if (name is not null)
        {
            var trial = await Experiments(call).DescribeTrialAsync(name, call.Aborted);
            await Permissions(call).DemandAsync(call.Who, ResourceKind.Experiment, trial.Run.Info.ExperimentId, action, call.Aborted);
        }
    }

    private static async Task ComponentAsync(SageMakerCall call, string? name, ResourceAction action)
    {
        if (name is null)
        {
            return;
        }

        var marker = name.IndexOf(":experiment-trial-component/", StringComparison.Ordinal);
        var component = await Experiments(call).DescribeTrialComponentAsync(marker >= 0 ? name[(marker + ":experiment-trial-component/".Length)..] : name, call.Aborted);
        foreach (var experimentId in await ExperimentsOfAsync(call, component))
        {
            await Permissions(call).DemandAsync(call.Who, ResourceKind.Experiment, experimentId, action, call.Aborted);
        }
    }

    private static Task<IReadOnlyList<string>> ExperimentsOfAsync(SageMakerCall call, TrialComponent component) =>
        LineagePermissions.ExperimentsOfAsync(Experiments(call), component, call.Aborted);

    private static ValueTask ModelAsync(SageMakerCall call, string? group, ResourceAction action) =>
        group is null ? ValueTask.CompletedTask : Permissions(call).DemandAsync(call.Who, ResourceKind.RegisteredModel, group, action, call.Aborted);

    private static string? GroupName(string? arnOrName) => arnOrName?[(arnOrName.LastIndexOf('/') + 1)..];
}
