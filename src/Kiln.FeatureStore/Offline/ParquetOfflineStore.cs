using System.Globalization;
using Kiln.Core.FeatureStore;
using Kiln.Core.Objects;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Parquet;
using Parquet.Schema;

namespace Kiln.FeatureStore.Offline;

/// <summary>
/// The offline store as SageMaker lays it out: every accepted put and delete becomes a row of a Parquet file under
/// <c>{ResolvedOutputS3Uri}/year=YYYY/month=MM/day=DD/hour=HH/</c> (the event time's hour, UTC), with a column per
/// feature (Integral: int64, Fractional: double, String: string) plus <c>write_time</c>, <c>api_invocation_time</c>
/// (timestamps) and <c>is_deleted</c>. Rows wait in memory and are written in small batches: every
/// <see cref="FlushInterval"/> and at shutdown, one file per group, schema and hour (<see cref="OfflineStoreCompactor"/>
/// merges them later). Files go through <see cref="ObjectStore"/>, so the S3 API lists and serves them.
/// </summary>
public sealed partial class ParquetOfflineStore(ObjectStore objects, TimeProvider clock, ILogger<ParquetOfflineStore> logger) : BackgroundService, IOfflineStoreWriter
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private Dictionary<BatchKey, Batch> _pending = [];

    public Task AppendAsync(FeatureGroup group, OfflineRow row, CancellationToken ct = default)
    {
        var hour = new DateTimeOffset(row.EventTime.UtcDateTime.Year, row.EventTime.UtcDateTime.Month, row.EventTime.UtcDateTime.Day, row.EventTime.UtcDateTime.Hour, 0, 0, TimeSpan.Zero);
        var key = new BatchKey(group.OfflineStore!.ResolvedOutputS3Uri, string.Join('\u001f', group.Features.Select(feature => feature.Name)), hour);
        lock (_lock)
        {
            if (!_pending.TryGetValue(key, out var batch))
            {
                _pending[key] = batch = new Batch(group);
            }

            batch.Rows.Add(row);
        }

        return Task.CompletedTask;
    }

    /// <summary>Writes every buffered row now.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        await _flushing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Dictionary<BatchKey, Batch> batches;
            lock (_lock)
            {
                batches = _pending;
                _pending = [];
            }

            foreach (var (key, batch) in batches)
            {
                try
                {
                    await WriteAsync(key, batch, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ObjectStoreException or IOException)
                {
                    LogWriteFailed(logger, e, batch.Rows.Count, key.Folder);
                }
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    public override void Dispose()
    {
        _flushing.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(FlushInterval);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await FlushAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(BatchKey key, Batch batch, CancellationToken ct)
    {
        var group = batch.Group;
        var (bucket, prefix) = SplitS3Uri(key.Folder);
        var now = clock.GetUtcNow();
        var objectKey = string.Create(CultureInfo.InvariantCulture,
            $"{prefix}/year={key.Hour:yyyy}/month={key.Hour:MM}/day={key.Hour:dd}/hour={key.Hour:HH}/{now:yyyyMMdd'T'HHmmss'Z'}_{Guid.NewGuid():N}.parquet");
        using var file = new MemoryStream();
        await WriteParquetAsync(file, group, batch.Rows, ct).ConfigureAwait(false);
        file.Position = 0;
        await objects.PutAsync(bucket, objectKey.TrimStart('/'), file, "application/octet-stream", null, ct: ct).ConfigureAwait(false);
    }

    /// <summary>One row group: the features in the group's order, then SageMaker's three columns.</summary>
    internal static async Task WriteParquetAsync(Stream output, FeatureGroup group, IReadOnlyList<OfflineRow> rows, CancellationToken ct)
    {
        var featureFields = group.Features.Select(feature => feature.Type switch
        {
            FeatureType.Integral => (DataField)new DataField<long?>(feature.Name),
            FeatureType.Fractional => new DataField<double?>(feature.Name),
            _ => new DataField<string>(feature.Name, true),
        }).ToList();
        var writeTime = new DateTimeDataField("write_time", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Millis);
        var invocationTime = new DateTimeDataField("api_invocation_time", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Millis);
        var isDeleted = new DataField<bool>("is_deleted");
        var schema = new ParquetSchema([.. featureFields, writeTime, invocationTime, isDeleted]);

        await using var writer = await ParquetWriter.CreateAsync(schema, output, cancellationToken: ct).ConfigureAwait(false);
        using var rowGroup = writer.CreateRowGroup();
        for (var i = 0; i < group.Features.Count; i++)
        {
            var feature = group.Features[i];
            var values = rows.Select(row => row.Values.FirstOrDefault(pair => pair.Key == feature.Name).Value).ToArray();
            switch (feature.Type)
            {
                case FeatureType.Integral:
                    await rowGroup.WriteAsync<long>(featureFields[i], values.Select(value => value is null ? (long?)null : long.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)).ToArray(), cancellationToken: ct).ConfigureAwait(false);
                    break;
                case FeatureType.Fractional:
                    await rowGroup.WriteAsync<double>(featureFields[i], values.Select(value => value is null ? (double?)null : double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray(), cancellationToken: ct).ConfigureAwait(false);
                    break;
                default:
                    await rowGroup.WriteAsync(featureFields[i], values.Select(value => value!).ToArray()).ConfigureAwait(false);
                    break;
            }
        }

        await rowGroup.WriteAsync<DateTime>(writeTime, rows.Select(row => row.WriteTime.UtcDateTime).ToArray(), cancellationToken: ct).ConfigureAwait(false);
        await rowGroup.WriteAsync<DateTime>(invocationTime, rows.Select(row => row.ApiInvocationTime.UtcDateTime).ToArray(), cancellationToken: ct).ConfigureAwait(false);
        await rowGroup.WriteAsync<bool>(isDeleted, rows.Select(row => row.IsDeleted).ToArray(), cancellationToken: ct).ConfigureAwait(false);
    }

    private static (string Bucket, string Prefix) SplitS3Uri(string uri)
    {
        var path = uri["s3://".Length..];
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (path, "") : (path[..slash], path[(slash + 1)..].TrimEnd('/'));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Feature Store: could not write {Rows} offline store rows under {Folder}; they are dropped")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int rows, string folder);

    private sealed record BatchKey(string Folder, string Schema, DateTimeOffset Hour);

    private sealed class Batch(FeatureGroup group)
    {
        public FeatureGroup Group { get; } = group;

        public List<OfflineRow> Rows { get; } = [];
    }
}
