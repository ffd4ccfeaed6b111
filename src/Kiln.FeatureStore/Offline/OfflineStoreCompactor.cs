using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.FeatureStore;
using Kiln.Core.Objects;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Parquet;
using Parquet.Schema;

namespace Kiln.FeatureStore.Offline;

/// <summary>When compaction runs and what it merges.</summary>
public sealed record OfflineCompactionOptions
{
    /// <summary>How often every group's offline store is looked at.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>An hour partition is closed this long after its hour ends; then all its files are merged.</summary>
    public TimeSpan ClosedAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>An open partition (its hour not closed yet) is merged once it holds this many files.</summary>
    public int MaxOpenFiles { get; init; } = 64;

    /// <summary>Rows buffered before they are written as one row group of the merged file (bounds the memory a merge takes).</summary>
    public int RowGroupRows { get; init; } = 50_000;
}

/// <summary>What one compaction pass did.</summary>
public sealed record CompactionResult(int Partitions, int FilesWritten, int FilesDeleted)
{
    public static CompactionResult operator +(CompactionResult a, CompactionResult b) =>
        new(a.Partitions + b.Partitions, a.FilesWritten + b.FilesWritten, a.FilesDeleted + b.FilesDeleted);
}

/// <summary>
/// Merges the small files the offline store writes every flush into one Parquet file per hour partition (and schema),
/// in the background: a closed hour (<see cref="OfflineCompactionOptions.ClosedAfter"/> past its end) once it holds
/// more than one file, an open one once it holds <see cref="OfflineCompactionOptions.MaxOpenFiles"/>. The merged file
/// has the same columns and every row (delete markers too); its footer names the flush files it holds
/// (<see cref="OfflineStoreFiles"/>), so readers skip those from the moment it is visible, and they are deleted only
/// after it was written and a fresh listing resolves completely. Nothing is renamed and nothing locked, so this works
/// on S3 and with several nodes compacting at once: the same merge yields the same object name, a merge that lost a
/// race to a larger one is garbage the next pass deletes, and readers resolve overlaps meanwhile. Memory is bounded by
/// <see cref="OfflineCompactionOptions.RowGroupRows"/>: inputs are copied to a temporary folder and streamed through.
/// </summary>
public sealed partial class OfflineStoreCompactor(
    ObjectStore objects,
    IFeatureGroupStore groups,
    TimeProvider clock,
    ILogger<OfflineStoreCompactor> logger,
    OfflineCompactionOptions? options = null) : BackgroundService
{
    private readonly OfflineCompactionOptions _options = options ?? new OfflineCompactionOptions();
    private readonly SemaphoreSlim _running = new(1, 1);

    /// <summary>One pass over every group with an offline store.</summary>
    public async Task<CompactionResult> CompactAllAsync(bool force = false, CancellationToken ct = default)
    {
        var total = new CompactionResult(0, 0, 0);
        string? token = null;
        do
        {
            var page = await groups.ListAsync(new ListQuery(MaxResults: 100, PageToken: token, Ascending: true), ct).ConfigureAwait(false);
            foreach (var group in page.Items.Where(group => group.OfflineStore is not null && group.Status == FeatureGroupStatuses.Created))
            {
                total += await CompactAsync(group, force, ct).ConfigureAwait(false);
            }

            token = page.NextPageToken;
        }
        while (token is not null);
        return total;
    }

    /// <summary>
    /// Compacts one group's partitions that are due; with <paramref name="force"/>, every partition holding more than
    /// one file, closed or not (tests, and an operator who wants it now).
    /// </summary>
    public async Task<CompactionResult> CompactAsync(FeatureGroup group, bool force = false, CancellationToken ct = default)
    {
        await _running.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var (bucket, prefix) = S3Uris.Split(group.OfflineStore!.ResolvedOutputS3Uri);
            var total = new CompactionResult(0, 0, 0);
            List<ObjectInfo> listed;
            try
            {
                listed = await ListAsync(bucket, prefix + "/", ct).ConfigureAwait(false);
            }
            catch (ObjectStoreException e) when (e.Error == ObjectError.NoSuchBucket)
            {
                return total;
            }

            var now = clock.GetUtcNow();
            foreach (var partition in listed.GroupBy(info => OfflineStoreFiles.FolderOf(info.Key), StringComparer.Ordinal))
            {
                var count = partition.Count();
                var due = force ? count > 1 : (count > 1 && Closed(partition.Key, now)) || count >= _options.MaxOpenFiles;
                if (!due)
                {
                    continue;
                }

                try
                {
                    total += await CompactPartitionAsync(bucket, partition.Key, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ObjectStoreException or IOException or InvalidDataException)
                {
                    LogPartitionFailed(logger, e, bucket, partition.Key);
                }
            }

            return total;
        }
        finally
        {
            _running.Release();
        }
    }

    public override void Dispose()
    {
        _running.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(_options.Interval, clock);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await CompactAllAsync(ct: stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogPassFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Whether the partition folder's hour (…/year=/month=/day=/hour=/) ended at least ClosedAfter ago.</summary>
    private bool Closed(string folder, DateTimeOffset now)
    {
        var parts = folder.TrimEnd('/').Split('/').Reverse().Take(4).Reverse().Select(part => part[(part.IndexOf('=', StringComparison.Ordinal) + 1)..]).ToArray();
        return parts.Length == 4
            && DateTimeOffset.TryParseExact($"{parts[0]}-{parts[1]}-{parts[2]}T{parts[3]}", "yyyy-MM-ddTHH", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var hour)
            && now >= hour.AddHours(1) + _options.ClosedAfter;
    }

    private async Task<CompactionResult> CompactPartitionAsync(string bucket, string folder, CancellationToken ct)
    {
        var files = await ResolveAsync(bucket, folder, ct).ConfigureAwait(false);
        var view = OfflineStoreFiles.Resolve(files);
        if (!view.Complete)
        {
            // Another compaction raced this one and has not settled yet; the next pass sees the outcome.
            return new CompactionResult(0, 0, 0);
        }

        var deleted = await DeleteAsync(bucket, view.Redundant, ct).ConfigureAwait(false);
        var written = new List<OfflineFile>();
        var work = Path.Combine(Path.GetTempPath(), "kiln-compact-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var inputs = new List<(OfflineFile File, string Local, ParquetSchema Schema)>();
            foreach (var file in view.Visible)
            {
                var local = Path.Combine(work, inputs.Count.ToString(CultureInfo.InvariantCulture) + ".parquet");
                try
                {
                    var (_, content) = await objects.GetAsync(bucket, file.Key, ct).ConfigureAwait(false);
                    await using (content.ConfigureAwait(false))
                    {
                        await using var copy = File.Create(local);
                        await content.CopyToAsync(copy, ct).ConfigureAwait(false);
                    }
                }
                catch (ObjectStoreException e) when (e.Error == ObjectError.NoSuchKey)
                {
                    // Another compactor replaced it meanwhile: leave this partition to the next pass.
                    return new CompactionResult(0, 0, deleted);
                }

                inputs.Add((file, local, await ParquetReader.ReadSchemaAsync(local).ConfigureAwait(false)));
            }

            var existing = files.Select(file => file.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var same in inputs.GroupBy(input => Signature(input.Schema), StringComparer.Ordinal).Where(same => same.Count() > 1))
            {
                var leaves = same.SelectMany<(OfflineFile File, string Local, ParquetSchema Schema), string>(input => input.File.IsCompacted && input.File.Leaves.Count > 0 ? input.File.Leaves : [input.File.Name]).ToHashSet(StringComparer.Ordinal);
                var name = OfflineStoreFiles.CompactedName(same.Max(input => input.File.Generation) + 1, leaves);
                var key = folder + name;
                if (!existing.Contains(name))
                {
                    var output = Path.Combine(work, name);
                    await MergeAsync([.. same.Select(input => input.Local)], same.First().Schema, leaves, output, ct).ConfigureAwait(false);
                    await using var stream = File.OpenRead(output);
                    var info = await objects.PutAsync(bucket, key, stream, "application/octet-stream", null, ct: ct).ConfigureAwait(false);
                    written.Add(new OfflineFile(key, info.Size, leaves));
                }
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        // The merged files are visible: list again, and delete what they (or a larger merge that raced us) replaced,
        // unless the partition does not resolve completely, where a merge of ours that overlaps another is withdrawn.
        var after = await ResolveAsync(bucket, folder, ct).ConfigureAwait(false);
        var settled = OfflineStoreFiles.Resolve(after);
        if (settled.Complete)
        {
            deleted += await DeleteAsync(bucket, settled.Redundant, ct).ConfigureAwait(false);
        }
        else
        {
            foreach (var mine in written)
            {
                var without = after.Where(file => file.Key != mine.Key).ToList();
                if (OfflineStoreFiles.Resolve(without).Complete)
                {
                    await objects.DeleteAsync(bucket, mine.Key, ct).ConfigureAwait(false);
                    after = without;
                    deleted++;
                }
            }
        }

        LogCompacted(logger, bucket, folder, written.Count, deleted);
        return new CompactionResult(1, written.Count, deleted);
    }

    private async Task<int> DeleteAsync(string bucket, IReadOnlyList<OfflineFile> files, CancellationToken ct)
    {
        foreach (var file in files)
        {
            await objects.DeleteAsync(bucket, file.Key, ct).ConfigureAwait(false);
        }

        return files.Count;
    }

    /// <summary>The partition's Parquet files, a compacted one with the leaves its footer names.</summary>
    private async Task<List<OfflineFile>> ResolveAsync(string bucket, string folder, CancellationToken ct)
    {
        var files = new List<OfflineFile>();
        foreach (var info in await ListAsync(bucket, folder, ct).ConfigureAwait(false))
        {
            if (!OfflineStoreFiles.IsCompacted(info.Key))
            {
                files.Add(new OfflineFile(info.Key, info.Size, new HashSet<string>(StringComparer.Ordinal)));
                continue;
            }

            try
            {
                var (_, content) = await objects.GetAsync(bucket, info.Key, ct).ConfigureAwait(false);
                await using (content.ConfigureAwait(false))
                {
                    if (content.CanSeek)
                    {
                        // Only the footer is read.
                        files.Add(new OfflineFile(info.Key, info.Size, await OfflineStoreFiles.ReadLeavesAsync(content, ct).ConfigureAwait(false)));
                        continue;
                    }

                    // Not seekable: a temporary copy, not one in memory (a merged file may be large).
                    var copy = Path.Combine(Path.GetTempPath(), "kiln-compact-" + Guid.NewGuid().ToString("N") + ".parquet");
                    try
                    {
                        await using (var file = File.Create(copy))
                        {
                            await content.CopyToAsync(file, ct).ConfigureAwait(false);
                        }

                        await using var local = File.OpenRead(copy);
                        files.Add(new OfflineFile(info.Key, info.Size, await OfflineStoreFiles.ReadLeavesAsync(local, ct).ConfigureAwait(false)));
                    }
                    finally
                    {
                        File.Delete(copy);
                    }
                }
            }
            catch (ObjectStoreException e) when (e.Error == ObjectError.NoSuchKey)
            {
                // Replaced and deleted since the listing: whatever replaced it sorts after it, so it is listed too.
            }
        }

        return files;
    }

    private async Task<List<ObjectInfo>> ListAsync(string bucket, string prefix, CancellationToken ct)
    {
        var listed = new List<ObjectInfo>();
        var after = "";
        while (true)
        {
            var page = await objects.ListAsync(bucket, prefix, null, after, 1000, ct).ConfigureAwait(false);
            listed.AddRange(page.Objects.Where(info => info.Key.EndsWith(".parquet", StringComparison.Ordinal)));
            if (!page.IsTruncated || page.Objects.Count == 0)
            {
                return listed;
            }

            after = page.NextMarker ?? page.Objects[^1].Key;
        }
    }

    private static string Signature(ParquetSchema schema) =>
        string.Join('\u001f', schema.GetDataFields().Select(field => $"{field.Name}:{field.ClrType.Name}:{field.IsNullable}"));

    /// <summary>
    /// Streams the inputs' rows, in order, into one file of the same columns: rows are gathered into row groups of
    /// <see cref="OfflineCompactionOptions.RowGroupRows"/>, so at most one row group is held in memory at a time.
    /// </summary>
    private async Task MergeAsync(IReadOnlyList<string> inputs, ParquetSchema template, IReadOnlySet<string> leaves, string output, CancellationToken ct)
    {
        var fields = template.GetDataFields().Select(OutputField).ToArray();
        var columns = fields.Select(ColumnBuffer.For).ToArray();
        await using var file = File.Create(output);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), file, cancellationToken: ct).ConfigureAwait(false);
        writer.CustomMetadata = new Dictionary<string, string> { [OfflineStoreFiles.SourcesKey] = OfflineStoreFiles.EncodeLeaves(leaves) };
        var buffered = 0;
        foreach (var input in inputs)
        {
            await using var reader = await ParquetReader.CreateAsync(input, cancellationToken: ct).ConfigureAwait(false);
            var inputFields = reader.Schema.GetDataFields();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var rowGroup = reader.OpenRowGroupReader(g);
                var rows = checked((int)rowGroup.RowCount);
                for (var i = 0; i < columns.Length; i++)
                {
                    await columns[i].ReadAsync(rowGroup, inputFields[i], rows, ct).ConfigureAwait(false);
                }

                buffered += rows;
                if (buffered >= _options.RowGroupRows)
                {
                    await WriteRowGroupAsync(writer, fields, columns, ct).ConfigureAwait(false);
                    buffered = 0;
                }
            }
        }

        if (buffered > 0)
        {
            await WriteRowGroupAsync(writer, fields, columns, ct).ConfigureAwait(false);
        }
    }

    private static async Task WriteRowGroupAsync(ParquetWriter writer, DataField[] fields, ColumnBuffer[] columns, CancellationToken ct)
    {
        using var rowGroup = writer.CreateRowGroup();
        for (var i = 0; i < fields.Length; i++)
        {
            await columns[i].WriteAsync(rowGroup, fields[i], ct).ConfigureAwait(false);
            columns[i].Clear();
        }
    }

    /// <summary>The merged file's column for an input column: as <see cref="ParquetOfflineStore"/> declares it.</summary>
    private static DataField OutputField(DataField field)
    {
        var type = field.ClrType;
        if (type == typeof(DateTime))
        {
            return new DateTimeDataField(field.Name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Millis, isNullable: field.IsNullable);
        }

        if (type == typeof(long))
        {
            return field.IsNullable ? new DataField<long?>(field.Name) : new DataField<long>(field.Name);
        }

        if (type == typeof(double))
        {
            return field.IsNullable ? new DataField<double?>(field.Name) : new DataField<double>(field.Name);
        }

        if (type == typeof(bool))
        {
            return field.IsNullable ? new DataField<bool?>(field.Name) : new DataField<bool>(field.Name);
        }

        return IsText(type)
            ? new DataField<string>(field.Name, true)
            : throw new InvalidDataException($"Column {field.Name} has type {type.Name}, which the offline store does not write");
    }

    /// <summary>A string column (Parquet.Net reads its schema as ReadOnlyMemory&lt;char&gt;).</summary>
    private static bool IsText(Type type) => type == typeof(string) || type == typeof(ReadOnlyMemory<char>);

    [LoggerMessage(Level = LogLevel.Information, Message = "Feature Store: compacted s3://{Bucket}/{Folder}: {Written} merged file(s) written, {Deleted} file(s) removed")]
    private static partial void LogCompacted(ILogger logger, string bucket, string folder, int written, int deleted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feature Store: could not compact s3://{Bucket}/{Folder}; the next pass tries again")]
    private static partial void LogPartitionFailed(ILogger logger, Exception exception, string bucket, string folder);

    [LoggerMessage(Level = LogLevel.Error, Message = "Feature Store: an offline store compaction pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);

    /// <summary>One column's values, gathered from several row groups until they are written as one.</summary>
    private abstract class ColumnBuffer
    {
        public static ColumnBuffer For(DataField field)
        {
            var type = field.ClrType;
            return (type, field.IsNullable) switch
            {
                _ when IsText(type) => new Strings(),
                (_, true) when type == typeof(long) => new Nullable<long>(),
                (_, true) when type == typeof(double) => new Nullable<double>(),
                (_, true) when type == typeof(bool) => new Nullable<bool>(),
                (_, true) when type == typeof(DateTime) => new Nullable<DateTime>(),
                _ when type == typeof(long) => new Required<long>(),
                _ when type == typeof(double) => new Required<double>(),
                _ when type == typeof(bool) => new Required<bool>(),
                _ => new Required<DateTime>(),
            };
        }

        public abstract Task ReadAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken ct);

        public abstract Task WriteAsync(ParquetRowGroupWriter rowGroup, DataField field, CancellationToken ct);

        public abstract void Clear();

        private sealed class Nullable<T> : ColumnBuffer
            where T : struct
        {
            private readonly List<T?> _values = [];

            public override async Task ReadAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken ct)
            {
                var values = new T?[rows];
                await rowGroup.ReadAsync<T>(field, values.AsMemory(), null, ct).ConfigureAwait(false);
                _values.AddRange(values);
            }

            public override Task WriteAsync(ParquetRowGroupWriter rowGroup, DataField field, CancellationToken ct) =>
                rowGroup.WriteAsync<T>(field, _values.ToArray(), cancellationToken: ct);

            public override void Clear() => _values.Clear();
        }

        private sealed class Required<T> : ColumnBuffer
            where T : struct
        {
            private readonly List<T> _values = [];

            public override async Task ReadAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken ct)
            {
                var values = new T[rows];
                await rowGroup.ReadAsync<T>(field, values.AsMemory(), null, ct).ConfigureAwait(false);
                _values.AddRange(values);
            }

            public override Task WriteAsync(ParquetRowGroupWriter rowGroup, DataField field, CancellationToken ct) =>
                rowGroup.WriteAsync<T>(field, _values.ToArray(), cancellationToken: ct);

            public override void Clear() => _values.Clear();
        }

        private sealed class Strings : ColumnBuffer
        {
            private readonly List<string?> _values = [];

            public override async Task ReadAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken ct)
            {
                var values = new string?[rows];
                await rowGroup.ReadAsync(field, values.AsMemory(), null, ct).ConfigureAwait(false);
                _values.AddRange(values);
            }

            public override Task WriteAsync(ParquetRowGroupWriter rowGroup, DataField field, CancellationToken ct) =>
                rowGroup.WriteAsync(field, _values.Select(value => value!).ToArray());

            public override void Clear() => _values.Clear();
        }
    }
}
