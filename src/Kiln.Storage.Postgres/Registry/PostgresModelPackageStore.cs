using System.Globalization;
using Kiln.Core.Registry;

namespace Kiln.Storage.Postgres.Registry;

public sealed class PostgresModelPackageStore(PostgresDatabase db) : IModelPackageStore
{
    private readonly PostgresDocuments<StoredPackage> _packages = new(
        db, "model_packages", p => p.Key, p => p.Details.ApprovalStatus, p => p.Details.Approvals.Count > 0 ? p.Details.Approvals[0].Time : DateTimeOffset.UnixEpoch, p => p.Details.LastModifiedTime ?? DateTimeOffset.UnixEpoch);

    public async Task<ModelPackageDetails?> FindAsync(string group, long version, CancellationToken ct = default) =>
        (await _packages.FindAsync(Key(group, version), ct).ConfigureAwait(false))?.Details;

    public async Task SaveAsync(string group, long version, ModelPackageDetails details, CancellationToken ct = default)
    {
        var stored = new StoredPackage(Key(group, version), details);
        if (!await _packages.AddAsync(stored, ct).ConfigureAwait(false))
        {
            await _packages.UpdateAsync(stored.Key, _ => stored, ct).ConfigureAwait(false);
        }
    }

    public async Task<ModelPackageDetails?> UpdateAsync(string group, long version, Func<ModelPackageDetails, ModelPackageDetails?> change, CancellationToken ct = default) =>
        (await _packages.UpdateAsync(Key(group, version), current => change(current.Details) is { } changed ? current with { Details = changed } : null, ct).ConfigureAwait(false))?.Details;

    public Task DeleteAsync(string group, long version, CancellationToken ct = default) => _packages.DeleteAsync(Key(group, version), ct);

    private static string Key(string group, long version) => $"{group}/{version.ToString(CultureInfo.InvariantCulture)}";

    internal sealed record StoredPackage(string Key, ModelPackageDetails Details);
}
