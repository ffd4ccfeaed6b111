using Kiln.Core.Common;

namespace Kiln.Core.FeatureStore;

/// <summary>Feature group definitions, keyed by <see cref="FeatureGroup.Key"/>.</summary>
public interface IFeatureGroupStore : IResourceStore<FeatureGroup>
{
    Task<bool> DeleteAsync(string key, CancellationToken ct = default);
}
