using Kiln.Core.Lineage;

namespace Kiln.Storage.Postgres.Lineage;

public sealed class PostgresLineageStore(PostgresDatabase db) : ILineageStore
{
    private readonly PostgresDocuments<LineageEntity> _entities = new(db, "lineage_entities", e => e.Arn, e => e.Kind.ToString(), e => e.CreationTime, e => e.LastModifiedTime);

    public Task<bool> AddAsync(LineageEntity entity, CancellationToken ct = default) => _entities.AddAsync(entity, ct);

    public Task<LineageEntity?> FindAsync(string arn, CancellationToken ct = default) => _entities.FindAsync(arn, ct);

    public Task<LineageEntity?> UpdateAsync(string arn, Func<LineageEntity, LineageEntity?> change, CancellationToken ct = default) => _entities.UpdateAsync(arn, change, ct);

    public Task<bool> DeleteAsync(string arn, CancellationToken ct = default) => _entities.DeleteAsync(arn, ct);

    public async Task<IReadOnlyList<LineageEntity>> ListAsync(LineageKind kind, CancellationToken ct = default) =>
        await _entities.WhereAsync("Kind", kind.ToString(), ct).ConfigureAwait(false);

    public Task<IReadOnlyList<LineageEntity>> FindBySourceAsync(string sourceUri, CancellationToken ct = default) => _entities.WhereAsync("SourceUri", sourceUri, ct);

    public Task<bool> AssociateAsync(LineageAssociation association, CancellationToken ct = default) =>
        db.WriteAsync(async session => await session.ExecuteAsync(
            "INSERT INTO lineage_associations (source_arn, destination_arn, association_type, creation_time) VALUES (@source, @destination, @type, @created) ON CONFLICT DO NOTHING",
            ("source", association.SourceArn), ("destination", association.DestinationArn), ("type", association.AssociationType), ("created", association.CreationTime.ToUnixTimeMilliseconds())).ConfigureAwait(false) == 1, ct);

    public Task<bool> DisassociateAsync(string sourceArn, string destinationArn, CancellationToken ct = default) =>
        db.WriteAsync(async session => await session.ExecuteAsync(
            "DELETE FROM lineage_associations WHERE source_arn = @source AND destination_arn = @destination",
            ("source", sourceArn), ("destination", destinationArn)).ConfigureAwait(false) == 1, ct);

    public async Task<IReadOnlyList<LineageAssociation>> AssociationsAsync(string? sourceArn, string? destinationArn, CancellationToken ct = default) =>
        await db.ReadAsync(session => session.QueryAsync(
            "SELECT source_arn, destination_arn, association_type, creation_time FROM lineage_associations " +
            "WHERE (@source IS NULL OR source_arn = @source) AND (@destination IS NULL OR destination_arn = @destination) ORDER BY creation_time, source_arn, destination_arn",
            reader => new LineageAssociation(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))),
            ("source", sourceArn), ("destination", destinationArn)), ct).ConfigureAwait(false);
}
