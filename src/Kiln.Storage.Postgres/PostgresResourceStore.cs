using Kiln.Core.Common;

namespace Kiln.Storage.Postgres;

/// <summary>A resource store on one PostgreSQL table of JSON documents (see <see cref="PostgresDocuments{T}"/>).</summary>
public abstract class PostgresResourceStore<T> : IResourceStore<T>
    where T : class
{
    private readonly PostgresDocuments<T> _documents;

    private protected PostgresResourceStore(PostgresDatabase db, string table, Func<T, string> name, Func<T, string> status, Func<T, DateTimeOffset> created, Func<T, DateTimeOffset> modified) =>
        _documents = new PostgresDocuments<T>(db, table, name, status, created, modified);

    public Task<bool> AddAsync(T resource, CancellationToken ct = default) => _documents.AddAsync(resource, ct);

    public Task<T?> FindAsync(string name, CancellationToken ct = default) => _documents.FindAsync(name, ct);

    public Task<T?> UpdateAsync(string name, Func<T, T?> change, CancellationToken ct = default) => _documents.UpdateAsync(name, change, ct);

    public Task<Page<T>> ListAsync(ListQuery query, CancellationToken ct = default) => _documents.ListAsync(query, ct);
}
