using Kiln.Core.FeatureStore;

namespace Kiln.Storage.Sqlite.FeatureStore;

public sealed class SqliteFeatureGroupStore(SqliteDatabase db)
    : SqliteResourceStore<FeatureGroup>(db, "feature_groups", group => group.Key, group => group.Status, group => group.CreationTime, group => group.LastModifiedTime), IFeatureGroupStore
{
    private readonly SqliteDatabase _db = db;

    public Task<bool> DeleteAsync(string key, CancellationToken ct = default) =>
        _db.WriteAsync(session => session.Execute("DELETE FROM feature_groups WHERE name = $name", ("$name", key)) == 1, ct);
}
