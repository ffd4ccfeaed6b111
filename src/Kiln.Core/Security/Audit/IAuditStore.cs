namespace Kiln.Core.Security.Audit;

/// <summary>
/// Where the audit log is kept: append-only (the table refuses updates and deletes) and hash-chained. An append
/// reads the last entry and chains the new ones to it inside one transaction, so writers on several nodes sharing
/// one database still build a single chain.
/// </summary>
public interface IAuditStore
{
    /// <summary>Appends <paramref name="records"/> in order, chained after the current last entry.</summary>
    Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct = default);

    Task<AuditPage> ListAsync(AuditQuery query, CancellationToken ct = default);
}
