using Kiln.Core.Tracking;

namespace Kiln.Core.Registry;

/// <summary>The model package side of registry versions, keyed by registered model name and version.</summary>
public interface IModelPackageStore
{
    Task<ModelPackageDetails?> FindAsync(string group, long version, CancellationToken ct = default);

    Task SaveAsync(string group, long version, ModelPackageDetails details, CancellationToken ct = default);

    Task<ModelPackageDetails?> UpdateAsync(string group, long version, Func<ModelPackageDetails, ModelPackageDetails?> change, CancellationToken ct = default);

    Task DeleteAsync(string group, long version, CancellationToken ct = default);
}
