using Kiln.Core.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Pipelines;

public static class PipelineServiceCollectionExtensions
{
    /// <summary>The pipeline service and the execution runner; the host supplies the stores and IPipelineOperations.</summary>
    public static IServiceCollection AddKilnPipelines(this IServiceCollection services)
    {
        services.AddSingleton<PipelineService>();
        services.AddSingleton<IJobRunner, PipelineExecutionRunner>();
        services.AddSingleton<Kiln.Core.Registry.IApprovalAction, StartPipelineOnApproval>();
        services.AddSingleton<StartPipelineOnViolation>();
        services.AddSingleton<Kiln.Core.Monitoring.IMonitoringExecutionListener>(provider => provider.GetRequiredService<StartPipelineOnViolation>());
        services.AddSingleton<Kiln.Core.Monitoring.IMonitoringScheduleCheck>(provider => provider.GetRequiredService<StartPipelineOnViolation>());
        return services;
    }
}
