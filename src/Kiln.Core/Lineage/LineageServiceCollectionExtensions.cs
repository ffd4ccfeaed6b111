using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Lineage;

public static class LineageServiceCollectionExtensions
{
    /// <summary>Lineage: artifacts, actions, contexts and their associations, recorded by every area. The store comes with the storage choice.</summary>
    public static IServiceCollection AddKilnLineage(this IServiceCollection services)
    {
        services.AddSingleton<LineageService>();
        services.AddSingleton<ILineageRecorder>(provider => provider.GetRequiredService<LineageService>());
        return services;
    }
}
