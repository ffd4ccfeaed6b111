namespace Kiln.Core.FeatureStore;

/// <summary>One row of a group's offline store: a put or a delete marker, with the times SageMaker adds.</summary>
public sealed record OfflineRow(
    IReadOnlyList<KeyValuePair<string, string>> Values,
    DateTimeOffset EventTime,
    DateTimeOffset WriteTime,
    DateTimeOffset ApiInvocationTime,
    bool IsDeleted);

/// <summary>Appends rows to a group's offline store (buffered; <see cref="FlushAsync"/> makes them readable).</summary>
public interface IOfflineStoreWriter
{
    Task AppendAsync(FeatureGroup group, OfflineRow row, CancellationToken ct = default);

    Task FlushAsync(CancellationToken ct = default);
}
