using Kiln.Core.FeatureStore;

namespace Kiln.Storage.Postgres.FeatureStore;

/// <summary>Feature group definitions as JSON documents in PostgreSQL.</summary>
public sealed class PostgresFeatureGroupStore(PostgresDatabase db)
    : PostgresResourceStore<FeatureGroup>(db, "feature_groups", group => group.Key, group => group.Status, group => group.CreationTime, group => group.LastModifiedTime), IFeatureGroupStore
{
    private readonly PostgresDatabase _db = db;

    public Task<bool> DeleteAsync(string key, CancellationToken ct = default) =>
        _db.WriteAsync(async session => await session.ExecuteAsync("DELETE FROM feature_groups WHERE name = @name", ("name", key)).ConfigureAwait(false) == 1, ct);
}
