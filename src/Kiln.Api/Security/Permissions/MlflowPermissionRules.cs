using Kiln.Api.MLflow;
using Kiln.Core.Security;
using Kiln.Core.Security.Permissions;

namespace Kiln.Api.Security.Permissions;

/// <summary>
/// What each MLflow endpoint needs, as MLflow's basic-auth app has it (mlflow/server/auth): the permission on the
/// experiment (a run's is its experiment's) or registered model (a version's or alias's is its model's) the request
/// names. Creating needs none (the creator gets MANAGE); searches need none and return only what the caller may read;
/// the user and permission endpoints check in their handlers. An endpoint without a rule refuses everyone but admins.
/// </summary>
internal static class MlflowPermissionRules
{
    private delegate ValueTask Rule(MlflowCall call, KilnCaller caller, ResourcePermissions permissions);

    private static readonly Rule Anyone = (_, _, _) => ValueTask.CompletedTask;

    private static readonly Dictionary<string, Rule> Rules = new(StringComparer.Ordinal)
    {
        ["POST experiments/create"] = Anyone,
        ["GET experiments/get"] = Experiment(ResourceAction.Read),
        ["GET experiments/get-by-name"] = ExperimentByName(ResourceAction.Read),
        ["POST experiments/search"] = Anyone,
        ["GET experiments/search"] = Anyone,
        ["GET experiments/list"] = Anyone,
        ["POST experiments/update"] = Experiment(ResourceAction.Update),
        ["POST experiments/delete"] = Experiment(ResourceAction.Delete),
        ["POST experiments/restore"] = Experiment(ResourceAction.Delete),
        ["POST experiments/set-experiment-tag"] = Experiment(ResourceAction.Update),
        ["POST experiments/delete-experiment-tag"] = Experiment(ResourceAction.Update),
        ["POST runs/create"] = Experiment(ResourceAction.Update, defaultId: "0"),
        ["GET runs/get"] = Run(ResourceAction.Read),
        ["POST runs/update"] = Run(ResourceAction.Update),
        ["POST runs/delete"] = Run(ResourceAction.Delete),
        ["POST runs/restore"] = Run(ResourceAction.Delete),
        ["POST runs/log-metric"] = Run(ResourceAction.Update),
        ["POST runs/log-parameter"] = Run(ResourceAction.Update),
        ["POST runs/set-tag"] = Run(ResourceAction.Update),
        ["POST runs/delete-tag"] = Run(ResourceAction.Update),
        ["POST runs/log-batch"] = Run(ResourceAction.Update),
        ["POST runs/log-model"] = Run(ResourceAction.Update),
        ["POST runs/log-inputs"] = Run(ResourceAction.Update),
        ["POST runs/search"] = Anyone,
        ["GET runs/search"] = Anyone,
        ["GET metrics/get-history"] = Run(ResourceAction.Read),
        ["GET artifacts/list"] = Run(ResourceAction.Read),

        ["POST registered-models/create"] = Anyone,
        ["GET registered-models/get"] = Model(ResourceAction.Read),
        ["POST registered-models/rename"] = Model(ResourceAction.Update),
        ["PATCH registered-models/update"] = Model(ResourceAction.Update),
        ["DELETE registered-models/delete"] = Model(ResourceAction.Delete),
        ["GET registered-models/search"] = Anyone,
        ["POST registered-models/get-latest-versions"] = Model(ResourceAction.Read),
        ["GET registered-models/get-latest-versions"] = Model(ResourceAction.Read),
        ["POST registered-models/set-tag"] = Model(ResourceAction.Update),
        ["DELETE registered-models/delete-tag"] = Model(ResourceAction.Update),
        ["POST registered-models/alias"] = Model(ResourceAction.Update),
        ["DELETE registered-models/alias"] = Model(ResourceAction.Delete),
        ["GET registered-models/alias"] = Model(ResourceAction.Read),
        ["POST model-versions/create"] = Model(ResourceAction.Update),
        ["GET model-versions/get"] = Model(ResourceAction.Read),
        ["PATCH model-versions/update"] = Model(ResourceAction.Update),
        ["DELETE model-versions/delete"] = Model(ResourceAction.Delete),
        ["POST model-versions/transition-stage"] = Model(ResourceAction.Update),
        ["GET model-versions/search"] = Anyone,
        ["GET model-versions/get-download-uri"] = Model(ResourceAction.Read),
        ["POST model-versions/set-tag"] = Model(ResourceAction.Update),
        ["DELETE model-versions/delete-tag"] = Model(ResourceAction.Delete),

        ["POST experiments/permissions/create"] = Experiment(ResourceAction.Manage),
        ["GET experiments/permissions/get"] = Experiment(ResourceAction.Manage),
        ["PATCH experiments/permissions/update"] = Experiment(ResourceAction.Manage),
        ["DELETE experiments/permissions/delete"] = Experiment(ResourceAction.Manage),
        ["POST registered-models/permissions/create"] = Model(ResourceAction.Manage),
        ["GET registered-models/permissions/get"] = Model(ResourceAction.Manage),
        ["PATCH registered-models/permissions/update"] = Model(ResourceAction.Manage),
        ["DELETE registered-models/permissions/delete"] = Model(ResourceAction.Manage),
        ["POST users/create"] = Anyone,
        ["GET users/get"] = Anyone,
        ["PATCH users/update-password"] = Anyone,
        ["PATCH users/update-admin"] = Anyone,
        ["DELETE users/delete"] = Anyone,
    };

    /// <summary>The route's handler, preceded by its permission check.</summary>
    public static MlflowRoute Guard(MlflowRoute route)
    {
        var rule = Rules.GetValueOrDefault($"{route.Method.ToUpperInvariant()} {route.Path}") ?? new Rule(AdminsOnly);
        var handler = route.Handler;
        return route with
        {
            Handler = async call =>
            {
                var caller = call.Http.Caller();
                if (!caller.IsAdmin)
                {
                    await rule(call, caller, call.Permissions);
                }

                await handler(call);
            },
        };
    }

    private static ValueTask AdminsOnly(MlflowCall call, KilnCaller caller, ResourcePermissions permissions) =>
        throw new Kiln.Core.Common.KilnException(Kiln.Core.Common.ErrorCode.PermissionDenied, $"Permission denied: only admins may call {call.Http.Request.Path}.");

    /// <summary>The experiment named by <c>experiment_id</c> (or <paramref name="defaultId"/>); without one the handler refuses the request.</summary>
    private static Rule Experiment(ResourceAction action, string? defaultId = null) => (call, caller, permissions) =>
        (call.Request.String("experiment_id") ?? defaultId) is { } id
            ? permissions.DemandAsync(caller, ResourceKind.Experiment, id, action, call.Aborted)
            : ValueTask.CompletedTask;

    private static Rule ExperimentByName(ResourceAction action) => async (call, caller, permissions) =>
    {
        if (call.Request.String("experiment_name") is { } name)
        {
            var experiment = await call.Tracking.GetExperimentByNameAsync(name, call.Aborted);
            await permissions.DemandAsync(caller, ResourceKind.Experiment, experiment.ExperimentId, action, call.Aborted);
        }
    };

    private static Rule Run(ResourceAction action) => async (call, caller, permissions) =>
    {
        if ((call.Request.String("run_id") ?? call.Request.String("run_uuid")) is { } runId)
        {
            var experimentId = await call.Tracking.ExperimentOfRunAsync(runId, call.Aborted);
            await permissions.DemandAsync(caller, ResourceKind.Experiment, experimentId, action, call.Aborted);
        }
    };

    private static Rule Model(ResourceAction action) => (call, caller, permissions) =>
        call.Request.String("name") is { } name
            ? permissions.DemandAsync(caller, ResourceKind.RegisteredModel, name, action, call.Aborted)
            : ValueTask.CompletedTask;
}
