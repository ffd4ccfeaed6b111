namespace Kiln.Core.Common;

/// <summary>
/// A store of named resources the way SageMaker's control plane keeps them (jobs, models, configs): each is added once
/// under a unique name, read, changed atomically, and listed with SageMaker's List* filters, sort and paging.
/// </summary>
public interface IResourceStore<T>
    where T : class
{
    /// <summary>Stores a new resource; false when the name is taken.</summary>
    Task<bool> AddAsync(T resource, CancellationToken ct = default);

    Task<T?> FindAsync(string name, CancellationToken ct = default);

    /// <summary>Reads, changes and writes a resource atomically; returns it as written (null when it does not exist, or when <paramref name="change"/> returns null to leave it alone).</summary>
    Task<T?> UpdateAsync(string name, Func<T, T?> change, CancellationToken ct = default);

    Task<Page<T>> ListAsync(ListQuery query, CancellationToken ct = default);
}
