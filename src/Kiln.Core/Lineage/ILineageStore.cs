using Kiln.Core.Common;
using Kiln.Core.Tracking;

namespace Kiln.Core.Lineage;

public interface ILineageStore
{
    /// <summary>Stores the entity; false when its ARN exists already.</summary>
    Task<bool> AddAsync(LineageEntity entity, CancellationToken ct = default);

    Task<LineageEntity?> FindAsync(string arn, CancellationToken ct = default);

    Task<LineageEntity?> UpdateAsync(string arn, Func<LineageEntity, LineageEntity?> change, CancellationToken ct = default);

    Task<bool> DeleteAsync(string arn, CancellationToken ct = default);

    Task<IReadOnlyList<LineageEntity>> ListAsync(LineageKind kind, CancellationToken ct = default);

    Task<IReadOnlyList<LineageEntity>> FindBySourceAsync(string sourceUri, CancellationToken ct = default);

    /// <summary>Adds an edge; false when it exists.</summary>
    Task<bool> AssociateAsync(LineageAssociation association, CancellationToken ct = default);

    Task<bool> DisassociateAsync(string sourceArn, string destinationArn, CancellationToken ct = default);

    /// <summary>Edges from a source and/or to a destination (either may be null: any).</summary>
    Task<IReadOnlyList<LineageAssociation>> AssociationsAsync(string? sourceArn, string? destinationArn, CancellationToken ct = default);
}
