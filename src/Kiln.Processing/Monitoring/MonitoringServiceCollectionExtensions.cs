using Kiln.Core.Monitoring;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Processing.Monitoring;

public static class MonitoringServiceCollectionExtensions
{
    /// <summary>Model Monitor: job definitions and schedules, and the ticker that runs their executions as processing jobs.</summary>
    public static IServiceCollection AddKilnMonitoring(this IServiceCollection services)
    {
        services.AddSingleton<MonitoringService>();
        services.AddSingleton<ClarifyMonitorService>();
        services.AddSingleton<IClarifyConfigValidator, BuiltIn.ClarifyMonitorConfig>();
        services.AddSingleton<MonitoringExecutor>();
        services.AddHostedService<MonitoringTicker>();
        return services;
    }
}
