using Kiln.Core.Jobs;
using Kiln.Core.Logs;
using Kiln.Core.Serving;
using Kiln.Core.Transform;
using Kiln.Serving.Capture;
using Kiln.Serving.Deployment;
using Kiln.Serving.Logs;
using Kiln.Serving.Models;
using Kiln.Serving.Runtime;
using Kiln.Serving.Transform;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kiln.Serving;

public static class ServingServiceCollectionExtensions
{
    /// <summary>
    /// Hosting on this node: the control plane (models, configs, endpoints, transform jobs), the endpoint runtime
    /// that serves invocations, data capture, and the job runners that deploy endpoints and run batch transforms.
    /// The stores (<see cref="IServingStore"/>, <see cref="ITransformJobStore"/>) are registered by the storage choice.
    /// </summary>
    public static IServiceCollection AddKilnServing(this IServiceCollection services, ServingWorkspace workspace)
    {
        services.AddSingleton(workspace);
        services.AddSingleton<ServingChanges>();
        services.AddSingleton<ServingService>();
        services.AddSingleton<TransformJobService>();
        services.AddSingleton<ModelLoader>();
        services.AddSingleton<IModelInvoker, InProcessModelInvoker>();
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
