using System.Globalization;
using System.Text;
using Kiln.Core.Common;

namespace Kiln.Core.FeatureStore;

public enum DeletionMode
{
    SoftDelete,
    HardDelete,
}

/// <summary>Which stores a write goes to (null in a request: every store the group has).</summary>
[Flags]
public enum TargetStores
{
    None = 0,
    Online = 1,
    Offline = 2,
}

/// <summary>A record as GetRecord answers it: the values asked for and, when the record expires, when.</summary>
public sealed record RecordView(IReadOnlyList<KeyValuePair<string, string>> Values, DateTimeOffset? ExpiresAt);

/// <summary>
/// Feature Store's data plane with SageMaker's event-time rules: the online store keeps, per record identifier, the
/// write with the latest event time (an equal or newer one replaces it, an older one never does); every accepted
/// write is appended to the offline store whatever its event time. A soft delete leaves a marker with its event time
/// so older puts stay out; a hard delete removes the record. Records past EventTime + TTL are not returned.
/// </summary>
public sealed class FeatureRecordService(FeatureGroupService groups, IOnlineRecordStore online, TimeProvider clock, IOfflineStoreWriter? offline = null)
{
    /// <summary>SageMaker's limit on one record (350 KiB, the ValueAsString maximum).</summary>
    public const int MaxRecordBytes = 358400;

    private static readonly string[] IsoFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss'Z'",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    public async Task PutAsync(string groupName, IReadOnlyList<KeyValuePair<string, string>> values, TargetStores? targets, TtlDuration? ttl, CancellationToken ct = default)
    {
        var group = await CreatedGroupAsync(groupName, ct).ConfigureAwait(false);
        var stores = Targets(group, targets);
        var (recordId, eventTime) = ValidateRecord(group, values);
        if (ttl is not null && !stores.HasFlag(TargetStores.Online))
        {
            throw KilnException.InvalidParameter("TtlDuration applies to the online store, which this write does not go to.");
        }

        var now = clock.GetUtcNow();
        if (stores.HasFlag(TargetStores.Online))
        {
            var lifetime = ttl ?? group.OnlineStore!.Ttl;
            await online.PutIfNotOlderAsync(new OnlineRecord
            {
                GroupKey = group.Key,
                RecordId = recordId,
                EventTime = eventTime,
                Values = values,
                ExpiresAt = lifetime is null ? null : eventTime + lifetime.ToTimeSpan(),
            }, now, ct).ConfigureAwait(false);
        }

        if (stores.HasFlag(TargetStores.Offline) && offline is not null)
        {
            await offline.AppendAsync(group, new OfflineRow(values, eventTime, clock.GetUtcNow(), now, IsDeleted: false), ct).ConfigureAwait(false);
        }
    }

    /// <summary>The live record (null when absent, deleted or expired), with only <paramref name="featureNames"/> when given.</summary>
    public async Task<RecordView?> GetAsync(string groupName, string recordId, IReadOnlyList<string>? featureNames, CancellationToken ct = default)
    {
        var group = await OnlineGroupAsync(groupName, ct).ConfigureAwait(false);
        CheckNames(group, featureNames);
        var record = await online.FindAsync(group.Key, recordId, ct).ConfigureAwait(false);
        return View(record, featureNames);
    }

    /// <summary>BatchGetRecord for one group: the live records among <paramref name="recordIds"/>, by identifier.</summary>
    public async Task<IReadOnlyDictionary<string, RecordView>> GetManyAsync(string groupName, IReadOnlyList<string> recordIds, IReadOnlyList<string>? featureNames, CancellationToken ct = default)
    {
        var group = await OnlineGroupAsync(groupName, ct).ConfigureAwait(false);
        CheckNames(group, featureNames);
        var found = await online.FindManyAsync(group.Key, recordIds, ct).ConfigureAwait(false);
        return found.Select(record => (record.RecordId, View: View(record, featureNames)))
            .Where(pair => pair.View is not null)
            .ToDictionary(pair => pair.RecordId, pair => pair.View!, StringComparer.Ordinal);
    }

    /// <summary>The group's online store counted now (for Studio's freshness view); an empty summary when the group has no online store.</summary>
    public Task<OnlineStoreSummary> SummarizeOnlineAsync(FeatureGroup group, CancellationToken ct = default) =>
        group.OnlineStore is null ? Task.FromResult(new OnlineStoreSummary(0, 0, 0, null, null)) : online.SummarizeAsync(group.Key, clock.GetUtcNow(), ct);

    /// <summary>At most <paramref name="limit"/> live records of the group's online store, latest event time first; none without an online store.</summary>
    public async Task<IReadOnlyList<OnlineRecord>> LatestOnlineAsync(FeatureGroup group, int limit, CancellationToken ct = default) =>
        group.OnlineStore is null || limit <= 0 ? [] : await online.ListLatestAsync(group.Key, clock.GetUtcNow(), limit, ct).ConfigureAwait(false);

    public async Task DeleteAsync(string groupName, string recordId, string eventTimeText, TargetStores? targets, DeletionMode mode, CancellationToken ct = default)
    {
        var group = await CreatedGroupAsync(groupName, ct).ConfigureAwait(false);
        var stores = Targets(group, targets);
        var eventTime = ParseEventTime(group, eventTimeText);
        var now = clock.GetUtcNow();
        if (stores.HasFlag(TargetStores.Online))
        {
            if (mode == DeletionMode.HardDelete)
            {
                if (!await online.RemoveIfNotOlderAsync(group.Key, recordId, eventTime, now, ct).ConfigureAwait(false))
                {
                    throw KilnException.InvalidParameter($"EventTime {eventTimeText} is older than the EventTime of the record {recordId} in the online store, so it was not deleted.");
                }
            }
            else
            {
                // A soft delete that is older than the stored record leaves it in place; its marker still goes offline.
                await online.PutIfNotOlderAsync(new OnlineRecord
                {
                    GroupKey = group.Key,
                    RecordId = recordId,
                    EventTime = eventTime,
                    Values = [KeyValuePair.Create(group.RecordIdentifierFeatureName, recordId), KeyValuePair.Create(group.EventTimeFeatureName, eventTimeText)],
                    Deleted = true,
                }, now, ct).ConfigureAwait(false);
            }
        }

        if (stores.HasFlag(TargetStores.Offline) && offline is not null)
        {
            IReadOnlyList<KeyValuePair<string, string>> marker = [KeyValuePair.Create(group.RecordIdentifierFeatureName, recordId), KeyValuePair.Create(group.EventTimeFeatureName, eventTimeText)];
            await offline.AppendAsync(group, new OfflineRow(marker, eventTime, clock.GetUtcNow(), now, IsDeleted: true), ct).ConfigureAwait(false);
        }
    }

    /// <summary>An event time as SageMaker reads it: Unix seconds (Fractional features) or ISO-8601 in UTC (String features).</summary>
    public static DateTimeOffset ParseEventTime(FeatureGroup group, string text)
    {
        var type = group.Feature(group.EventTimeFeatureName)!.Type;
        if (type == FeatureType.Fractional)
        {
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) && seconds is >= 0 and < 253402300800)
            {
                return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));
            }
        }
        else if (DateTimeOffset.TryParseExact(text, IsoFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time;
        }

        throw KilnException.InvalidParameter(
            $"Invalid value {text} for the event time feature {group.EventTimeFeatureName} of type {type}: " +
            (type == FeatureType.Fractional ? "use Unix epoch seconds, e.g. 1700000000.123." : "use ISO-8601 in UTC, yyyy-MM-ddTHH:mm:ssZ or yyyy-MM-ddTHH:mm:ss.SSSZ."));
    }

    private RecordView? View(OnlineRecord? record, IReadOnlyList<string>? featureNames) =>
        record is null || record.Deleted ? null
        : record.ExpiresAt is { } expires && expires <= clock.GetUtcNow() ? null
        : new RecordView(featureNames is null ? record.Values : record.Values.Where(pair => featureNames.Contains(pair.Key)).ToList(), record.ExpiresAt);

    private static void CheckNames(FeatureGroup group, IReadOnlyList<string>? featureNames)
    {
        var unknown = featureNames?.FirstOrDefault(name => group.Feature(name) is null);
        if (unknown is not null)
        {
            throw KilnException.InvalidParameter($"Feature {unknown} is not defined in FeatureGroup {group.Name}.");
        }
    }

    private static TargetStores Targets(FeatureGroup group, TargetStores? requested)
    {
        var available = (group.OnlineStore is null ? TargetStores.None : TargetStores.Online) | (group.OfflineStore is null ? TargetStores.None : TargetStores.Offline);
        if (requested is not { } wanted)
        {
            return available;
        }

        if ((wanted & ~available) != TargetStores.None)
        {
            throw KilnException.InvalidParameter($"FeatureGroup {group.Name} has no {(wanted.HasFlag(TargetStores.Online) && !available.HasFlag(TargetStores.Online) ? "OnlineStore" : "OfflineStore")}: TargetStores must name only the stores it has.");
        }

        return wanted;
    }

    /// <summary>Checks every value against the group's schema; returns the record identifier and the parsed event time.</summary>
    private static (string RecordId, DateTimeOffset EventTime) ValidateRecord(FeatureGroup group, IReadOnlyList<KeyValuePair<string, string>> values)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long size = 0;
        foreach (var (name, value) in values)
        {
            var feature = group.Feature(name) ?? throw KilnException.InvalidParameter($"Feature {name} is not defined in FeatureGroup {group.Name}.");
            if (!seen.Add(name))
            {
                throw KilnException.InvalidParameter($"Feature {name} appears more than once in the record.");
            }

            // The event time's own format check (ParseEventTime) says more than a type mismatch would.
            var valid = name == group.EventTimeFeatureName || feature.Type switch
            {
                FeatureType.Integral => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
                FeatureType.Fractional => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number),
                _ => true,
            };
            if (!valid)
            {
                throw KilnException.InvalidParameter($"Invalid value {Shorten(value)} for feature {name} of type {feature.Type}.");
            }

            size += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value);
        }

        if (size > MaxRecordBytes)
        {
            throw KilnException.InvalidParameter($"The record is {size} bytes; a record can be at most {MaxRecordBytes} bytes.");
        }

        var id = values.FirstOrDefault(pair => pair.Key == group.RecordIdentifierFeatureName).Value;
        if (string.IsNullOrEmpty(id))
        {
            throw KilnException.InvalidParameter($"The record identifier feature {group.RecordIdentifierFeatureName} is missing from the record.");
        }

        var eventTime = values.FirstOrDefault(pair => pair.Key == group.EventTimeFeatureName).Value;
        if (string.IsNullOrEmpty(eventTime))
        {
            throw KilnException.InvalidParameter($"The event time feature {group.EventTimeFeatureName} is missing from the record.");
        }

        return (id, ParseEventTime(group, eventTime));
    }

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "…";

    private async Task<FeatureGroup> CreatedGroupAsync(string groupName, CancellationToken ct)
    {
        var group = await groups.GetAsync(groupName, ct).ConfigureAwait(false);
        return group.Status == FeatureGroupStatuses.Created
            ? group
            : throw KilnException.InvalidParameter($"FeatureGroup {group.Name} is {group.Status}; records can be written only to a Created group.");
    }

    private async Task<FeatureGroup> OnlineGroupAsync(string groupName, CancellationToken ct)
    {
        var group = await CreatedGroupAsync(groupName, ct).ConfigureAwait(false);
        return group.OnlineStore is not null ? group : throw KilnException.InvalidParameter($"FeatureGroup {group.Name} has no online store to read records from.");
    }
}
