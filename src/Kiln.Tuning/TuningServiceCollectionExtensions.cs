using Kiln.Core.Jobs;
using Kiln.Core.Training;
using Kiln.Core.Tuning;
using Kiln.Tuning.EarlyStopping;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Tuning;

public static class TuningServiceCollectionExtensions
{
    /// <summary>Tuning jobs: the service, the runner on the job engine, and early stopping for their trials. The store comes with the storage choice.</summary>
    public static IServiceCollection AddKilnTuning(this IServiceCollection services)
    {
        services.AddSingleton<TuningJobService>();
        services.AddSingleton<IJobRunner, TuningJobRunner>();
        services.AddSingleton<ITrialCurves, TrackedTrialCurves>();
        services.AddSingleton<ITrainingStopRule, TuningStopRule>();
        return services;
    }
}
