using Kiln.Core.Jobs;
using Kiln.Core.Processing;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Processing;

public static class ProcessingServiceCollectionExtensions
{
    public static IServiceCollection AddKilnProcessing(this IServiceCollection services, ProcessingWorkspace workspace)
    {
        services.AddSingleton(workspace);
        services.AddSingleton<ProcessingJobService>();
        services.AddSingleton<IJobRunner, ProcessingJobRunner>();
        return services;
    }
}
