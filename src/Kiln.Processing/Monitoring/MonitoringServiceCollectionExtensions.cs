using Kiln.Core.Monitoring;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Processing.Monitoring;

public static class MonitoringServiceCollectionExtensions
{
    /// <summary>Model Monitor: job definitions and schedules, the ticker that runs their executions as processing jobs, and the alerts and metric series recorded when each ends.</summary>
    public static IServiceCollection AddKilnMonitoring(this IServiceCollection services)
    {
        services.AddSingleton<MonitoringService>();
        services.AddSingleton<ClarifyMonitorService>();
        services.AddSingleton<IClarifyConfigValidator, BuiltIn.ClarifyMonitorConfig>();
        services.AddSingleton<MonitoringExecutor>();
        services.AddSingleton<MonitoringAlertsService>();
        services.AddSingleton<IMonitoringExecutionListener, MonitoringResultsListener>();
        services.AddHostedService<MonitoringTicker>();
        return services;
    }
}
