using Kiln.AutoML.Candidates;
using Kiln.AutoML.Data;
using Kiln.AutoML.Evaluation;
using Kiln.Core.AutoML;
using Kiln.Core.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.AutoML;

public static class AutoMLServiceCollectionExtensions
{
    /// <summary>AutoML jobs: the service, its data check, the runner on the job engine and what it uses. The store comes with the storage choice.</summary>
    public static IServiceCollection AddKilnAutoML(this IServiceCollection services, AutoMLWorkspace workspace)
    {
        services.AddSingleton(workspace);
        services.AddSingleton<AutoMLData>();
        services.AddSingleton<IAutoMLDataInspector, AutoMLDataInspector>();
        services.AddSingleton<CandidateEvaluator>();
        services.AddSingleton<CrossValidator>();
        services.AddSingleton<EnsembleBuilder>();
        services.AddSingleton<BestCandidateRule>();
        services.AddSingleton<CandidateRefitter>();
        services.AddSingleton<AutoMLJobService>();
        services.AddSingleton<IJobRunner, AutoMLJobRunner>();
        return services;
    }
}
