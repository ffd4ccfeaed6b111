using Kiln.Core.Jobs;
using Kiln.Core.Processing;
using Kiln.Processing.BuiltIn;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Processing;

public static class ProcessingServiceCollectionExtensions
{
    public static IServiceCollection AddKilnProcessing(this IServiceCollection services, ProcessingWorkspace workspace)
    {
        services.AddSingleton(workspace);
        services.AddSingleton<ProcessingJobService>();
        services.AddSingleton<IBuiltInProcessor, ModelMonitorAnalyzer>();
        services.AddSingleton<IBuiltInProcessor, ClarifyProcessor>();
        services.AddSingleton<IJobRunner, ProcessingJobRunner>();
        return services;
    }
}
