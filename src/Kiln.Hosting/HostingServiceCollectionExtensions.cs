using Kiln.Core.Hosting;
using Kiln.Core.Jobs;
using Kiln.Core.Logs;
using Kiln.Hosting.Capture;
using Kiln.Hosting.Deployment;
using Kiln.Hosting.Logs;
using Kiln.Hosting.Models;
using Kiln.Hosting.Runtime;
using Kiln.Hosting.Transform;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kiln.Hosting;

public static class HostingServiceCollectionExtensions
{
    /// <summary>
    /// Hosting on this node: the control plane (models, configs, endpoints, transform jobs), the endpoint runtime
    /// that serves invocations, data capture, and the job runners that deploy endpoints and run batch transforms.
    /// The stores (<see cref="IHostingStore"/>, <see cref="ITransformJobStore"/>) are registered by the storage choice.
    /// </summary>
    public static IServiceCollection AddKilnHosting(this IServiceCollection services, HostingWorkspace workspace)
    {
        services.AddSingleton(workspace);
        services.AddSingleton<HostingChanges>();
        services.AddSingleton<HostingService>();
        services.AddSingleton<TransformJobService>();
        services.AddSingleton<ModelLoader>();
        services.AddSingleton<CaptureWriter>();
        services.AddSingleton<EndpointLogFiles>();
        services.AddSingleton<IEndpointLogFiles>(provider => provider.GetRequiredService<EndpointLogFiles>());
        services.AddSingleton<EndpointLogWriter>();
        services.AddHostedService(provider => provider.GetRequiredService<CaptureWriter>());
        services.AddSingleton<EndpointRuntime>();
        services.AddSingleton<IEndpointInvoker>(provider => provider.GetRequiredService<EndpointRuntime>());
        services.AddHostedService(provider => provider.GetRequiredService<EndpointRuntime>());
        services.AddSingleton<IJobRunner, EndpointDeploymentRunner>();
        services.AddSingleton<IJobRunner, TransformJobRunner>();
        return services;
    }
}
