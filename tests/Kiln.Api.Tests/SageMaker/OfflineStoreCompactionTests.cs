using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Kiln.Artifacts.FileSystem;
using Kiln.Artifacts.S3;
using Kiln.Core.Artifacts;
using Kiln.Core.FeatureStore;
using Kiln.Core.Objects;
using Kiln.FeatureStore.Datasets;
using Kiln.FeatureStore.Offline;
using Kiln.Storage.Sqlite;
using Kiln.Storage.Sqlite.FeatureStore;
using Kiln.Storage.Sqlite.Lineage;
using Kiln.Storage.Sqlite.Objects;
using Kiln.Storage.Tests.Artifacts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>
/// Background compaction of the offline store: the small files each flush writes are merged per hour partition into
/// one Parquet file that keeps every row (delete markers too), while queries and dataset builds that run meanwhile
/// read every row exactly once, also with two compactors racing, also when files arrive after a compaction.
/// </summary>
public sealed class OfflineStoreCompactionTests(ITestOutputHelper output)
{
    internal static readonly DateTimeOffset Hour = new(2026, 1, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Compaction_merges_an_hours_files_into_one_that_keeps_every_row_and_duckdb_reads()
    {
        await using var store = await OfflineHarness.CreateAsync(root => new FileSystemArtifactStore(root));
        await OfflineScenarios.MergesEveryRowAsync(store);
    }

    [Fact]
    public async Task Queries_and_dataset_builds_during_compaction_see_every_row_exactly_once()
    {
        await using var store = await OfflineHarness.CreateAsync(root => new FileSystemArtifactStore(root));
        await OfflineScenarios.ReadersDuringCompactionAsync(store, compactors: 1, rounds: 12, output);
    }

    [Fact]
    public async Task Two_compactors_racing_neither_lose_nor_duplicate_rows()
    {
        await using var store = await OfflineHarness.CreateAsync(root => new FileSystemArtifactStore(root));
        await OfflineScenarios.ReadersDuringCompactionAsync(store, compactors: 2, rounds: 12, output);
    }

    [Fact]
    public async Task Files_that_arrive_after_a_compaction_are_compacted_again()
    {
        await using var store = await OfflineHarness.CreateAsync(root => new FileSystemArtifactStore(root));
        var compactor = store.NewCompactor();
        await store.WriteFilesAsync(Hour, files: 6, rowsPerFile: 4);
        await compactor.CompactAsync(store.Group, force: true);
        Assert.True(store.Log.Problems.Count == 0, string.Join("\n", store.Log.Problems));
        var first = Assert.Single(await store.PartitionKeysAsync(Hour));
        Assert.Equal(1, OfflineStoreFiles.GenerationOf(first));

        // Late events for the same hour: new small files beside the compacted one, read with it, then merged into it.
        await store.WriteFilesAsync(Hour, files: 5, rowsPerFile: 3);
        Assert.Equal(6, (await store.PartitionKeysAsync(Hour)).Count);
        Assert.Equal((39, 39), await store.CountAsync());
        await compactor.CompactAsync(store.Group, force: true);

        var second = Assert.Single(await store.PartitionKeysAsync(Hour));
        Assert.Equal(2, OfflineStoreFiles.GenerationOf(second));
        Assert.Equal(11, (await store.LeavesAsync(second)).Count);
        Assert.Equal((39, 39), await store.CountAsync());
        await store.AssertQueryAsync(39);
        await store.AssertDatasetAsync(store.Written.Count);
    }

    [Fact]
    public void Readers_resolve_racing_compactions_by_the_files_they_replace()
    {
        static OfflineFile Flush(string name) => new("p/" + name, 1, new HashSet<string>());
        static OfflineFile Merged(int generation, params string[] leaves) => new("p/" + OfflineStoreFiles.CompactedName(generation, leaves), 1, leaves.ToHashSet());

        // The same merge twice is one name; a smaller merge a larger one holds is redundant, as are the flush files.
        Assert.Equal(OfflineStoreFiles.CompactedName(1, ["a", "b"]), OfflineStoreFiles.CompactedName(1, ["b", "a"]));
        var small = Merged(1, "a", "b");
        var large = Merged(1, "a", "b", "c");
        var view = OfflineStoreFiles.Resolve([Flush("a"), Flush("b"), Flush("c"), Flush("d"), small, large]);
        Assert.True(view.Complete);
        Assert.Equal([large.Key, "p/d"], view.Visible.Select(file => file.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["p/a", "p/b", "p/c", small.Key], view.Redundant.Select(file => file.Key).Order(StringComparer.Ordinal));

        // Two merges that overlap without one holding the other, their unique sources gone: no exact view (readers wait).
        var left = Merged(1, "a", "b");
        var right = Merged(1, "b", "c");
        Assert.False(OfflineStoreFiles.Resolve([left, right]).Complete);
        Assert.True(OfflineStoreFiles.Resolve([left, right, Flush("c")]).Complete);

        // Compacted names sort after flush names, and later generations after earlier ones.
        Assert.True(string.CompareOrdinal("20261207T130000Z_0a.parquet", OfflineStoreFiles.CompactedName(1, ["x"])) < 0);
        Assert.True(string.CompareOrdinal(OfflineStoreFiles.CompactedName(1, ["z"]), OfflineStoreFiles.CompactedName(2, ["a"])) < 0);
    }
}

/// <summary>The same scenarios with the object store's bytes in S3 (moto's, or <c>KILN_TEST_S3_ENDPOINT</c>).</summary>
public sealed class OfflineStoreCompactionS3Tests(S3TestBucket bucket, ITestOutputHelper output) : IClassFixture<S3TestBucket>
{
    [S3Fact]
    public async Task Compaction_on_s3_merges_an_hours_files_into_one_that_keeps_every_row()
    {
        await using var store = await OfflineHarness.CreateAsync(_ => new S3ArtifactStore(bucket.Client, bucket.Name, $"compaction/{Guid.NewGuid():N}"));
        await OfflineScenarios.MergesEveryRowAsync(store);
    }

    [S3Fact]
    public async Task Queries_during_two_racing_compactions_on_s3_see_every_row_exactly_once()
    {
        await using var store = await OfflineHarness.CreateAsync(_ => new S3ArtifactStore(bucket.Client, bucket.Name, $"compaction/{Guid.NewGuid():N}"));
        await OfflineScenarios.ReadersDuringCompactionAsync(store, compactors: 2, rounds: 4, output);
    }
}

internal static class OfflineScenarios
{
    public static async Task MergesEveryRowAsync(OfflineHarness store)
    {
        var hour = OfflineStoreCompactionTests.Hour;
        await store.WriteFilesAsync(hour, files: 12, rowsPerFile: 5);
        await store.WriteFilesAsync(hour.AddHours(1), files: 3, rowsPerFile: 5);
        Assert.Equal(12, (await store.PartitionKeysAsync(hour)).Count);
        var deleted = store.Written.Count(row => row.Deleted);
        Assert.True(deleted > 0);

        // The hours are long closed: the background pass (not forced) merges both.
        var result = await store.NewCompactor().CompactAllAsync();
        Assert.True(store.Log.Problems.Count == 0, string.Join("\n", store.Log.Problems));
        Assert.Equal(2, result.Partitions);
        Assert.Equal(15, result.FilesDeleted);
        var merged = Assert.Single(await store.PartitionKeysAsync(hour));
        Assert.StartsWith(OfflineStoreFiles.CompactedPrefix, OfflineStoreFiles.NameOf(merged), StringComparison.Ordinal);
        Assert.Single(await store.PartitionKeysAsync(hour.AddHours(1)));
        Assert.Equal(12, (await store.LeavesAsync(merged)).Count);

        // Any Parquet reader: DuckDB on the merged object alone sees the hour's 60 rows, SageMaker's columns and types.
        var local = await store.DownloadAsync(merged);
        await using (var connection = new DuckDBConnection("DataSource=:memory:"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT count(*), count(*) FILTER (WHERE is_deleted), count(DISTINCT id), CAST(sum(v) AS BIGINT), typeof(any_value(write_time)), typeof(any_value(api_invocation_time)), typeof(any_value(s)) FROM read_parquet('{local}')";
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            var hourRows = store.Written.Where(row => row.Hour == hour).ToList();
            Assert.Equal(60L, Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture));
            Assert.Equal(hourRows.Count(row => row.Deleted), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture));
            Assert.Equal(60L, Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture));
            Assert.Equal(hourRows.Sum(row => (long)row.Number), Convert.ToInt64(reader.GetValue(3), CultureInfo.InvariantCulture));
            Assert.Equal("TIMESTAMP WITH TIME ZONE", reader.GetString(4));
            Assert.Equal("TIMESTAMP WITH TIME ZONE", reader.GetString(5));
            Assert.Equal("VARCHAR", reader.GetString(6));
        }

        Assert.Equal((75, 75), await store.CountAsync());
        await store.AssertQueryAsync(75, deleted);
        await store.AssertDatasetAsync(store.Written.Count);

        // A second pass finds nothing to do.
        Assert.Equal(0, (await store.NewCompactor().CompactAllAsync()).FilesWritten);
        Assert.True(store.Log.Problems.Count == 0, string.Join("\n", store.Log.Problems));
    }

    /// <summary>
    /// Rounds of new flush files then compaction (by one or two compactors at once), while readers loop: a sync and
    /// DuckDB count, an Athena query, a dataset build. Each sees no duplicate, no error, and no fewer rows than were
    /// flushed before it started.
    /// </summary>
    public static async Task ReadersDuringCompactionAsync(OfflineHarness store, int compactors, int rounds, ITestOutputHelper output)
    {
        var hour = OfflineStoreCompactionTests.Hour;
        var instances = Enumerable.Range(0, compactors).Select(_ => store.NewCompactor()).ToList();
        var done = false;
        var reads = new int[3];
        var results = new CompactionResult(0, 0, 0);
        var work = Task.Run(async () =>
        {
            try
            {
                for (var round = 0; round < rounds; round++)
                {
                    await store.WriteFilesAsync(hour, files: 6, rowsPerFile: 3);
                    await store.WriteFilesAsync(hour.AddHours(1), files: 2, rowsPerFile: 3);
                    foreach (var result in await Task.WhenAll(instances.Select(compactor => Task.Run(() => compactor.CompactAsync(store.Group, force: true)))))
                    {
                        results += result;
                    }
                }
            }
            finally
            {
                Volatile.Write(ref done, true);
            }
        });

        async Task ReadAsync(int slot, Func<int, Task<int>> read)
        {
            while (!Volatile.Read(ref done) || reads[slot] < 2)
            {
                var before = store.FlushedRows;
                var seen = await read(before);
                Assert.InRange(seen, before, store.Written.Count);
                Interlocked.Increment(ref reads[slot]);
            }
        }

        await Task.WhenAll(
            work,
            ReadAsync(0, async _ =>
            {
                var (rows, distinct) = await store.CountAsync();
                Assert.Equal(rows, distinct);
                return (int)rows;
            }),
            ReadAsync(1, async _ => await store.AssertQueryAsync(null)),
            ReadAsync(2, async before => await store.AssertDatasetAsync(before)));

        output.WriteLine($"reads (count, query, dataset): {string.Join(", ", reads)}; compactions: {results}; reader re-lists: {store.Mirror.Relists}");
        Assert.True(store.Log.Problems.Count == 0, string.Join("\n", store.Log.Problems));
        Assert.All(reads, count => Assert.True(count >= 2));
        var total = store.Written.Count;
        Assert.Equal((total, total), await store.CountAsync());

        // Whatever the race left, one more pass leaves one file per hour that holds every flush file.
        await instances[0].CompactAsync(store.Group, force: true);
        var merged = Assert.Single(await store.PartitionKeysAsync(hour));
        // (At least: a reader's sync flushes too, which may split a file the writer meant as one.)
        Assert.True((await store.LeavesAsync(merged)).Count >= rounds * 6);
        Assert.Single(await store.PartitionKeysAsync(hour.AddHours(1)));
        Assert.Equal((total, total), await store.CountAsync());
        await store.AssertQueryAsync(total);
    }
}

/// <summary>An offline store over a fresh object store (SQLite index, bytes where <c>artifacts</c> says) with one group.</summary>
internal sealed class OfflineHarness : IAsyncDisposable
{
    private const string Bucket = "offline";
    private readonly string _directory;
    private readonly SqliteDatabase _db;
    private readonly Lock _lock = new();
    private readonly List<WrittenRow> _written = [];
    private int _flushed;

    private OfflineHarness(string directory, SqliteDatabase db, ObjectStore objects, FeatureGroup group)
    {
        _directory = directory;
        _db = db;
        Objects = objects;
        Group = group;
        Groups = new SqliteFeatureGroupStore(db);
        Writer = new ParquetOfflineStore(objects, TimeProvider.System, NullLogger<ParquetOfflineStore>.Instance);
        Mirror = new OfflineStoreMirror(objects, Writer, new OfflineStoreCache(Path.Combine(directory, "cache")));
        Engine = new DuckDbQueryEngine(Groups, Mirror, objects, TimeProvider.System, NullLogger<DuckDbQueryEngine>.Instance);
        var service = new FeatureGroupService(Groups, new SqliteOnlineRecordStore(db), objects, TimeProvider.System);
        Builder = new PointInTimeDatasetBuilder(service, Mirror, objects, new SqliteLineageStore(db), TimeProvider.System);
    }

    public ObjectStore Objects { get; }

    public FeatureGroup Group { get; }

    public SqliteFeatureGroupStore Groups { get; }

    public ParquetOfflineStore Writer { get; }

    public OfflineStoreMirror Mirror { get; }

    public DuckDbQueryEngine Engine { get; }

    public PointInTimeDatasetBuilder Builder { get; }

    public IReadOnlyList<WrittenRow> Written
    {
        get
        {
            lock (_lock)
            {
                return [.. _written];
            }
        }
    }

    /// <summary>Rows whose flush finished (readers must see at least these).</summary>
    public int FlushedRows => Volatile.Read(ref _flushed);

    public string Prefix => S3UriPrefix(Group.OfflineStore!.ResolvedOutputS3Uri);

    public static async Task<OfflineHarness> CreateAsync(Func<string, IArtifactStore> artifacts)
    {
        var directory = Path.Combine(Path.GetTempPath(), "kiln-tests", "compaction-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var db = new SqliteDatabase(Path.Combine(directory, "kiln.db"));
        var objects = new ObjectStore(new SqliteObjectIndex(db), artifacts(Path.Combine(directory, "objects")), TimeProvider.System);
        await objects.CreateBucketAsync(Bucket);
        var now = DateTimeOffset.UtcNow;
        var group = new FeatureGroup
        {
            Name = "orders",
            Arn = "arn:aws:sagemaker:us-east-1:000000000000:feature-group/orders",
            Region = "us-east-1",
            RecordIdentifierFeatureName = "id",
            EventTimeFeatureName = "t",
            Features =
            [
                new FeatureDefinition { Name = "id", Type = FeatureType.String, CreationTime = now, LastModifiedTime = now },
                new FeatureDefinition { Name = "t", Type = FeatureType.Fractional, CreationTime = now, LastModifiedTime = now },
                new FeatureDefinition { Name = "v", Type = FeatureType.Integral, CreationTime = now, LastModifiedTime = now },
                new FeatureDefinition { Name = "s", Type = FeatureType.String, CreationTime = now, LastModifiedTime = now },
            ],
            OfflineStore = new OfflineStoreSettings
            {
                S3Uri = $"s3://{Bucket}/store",
                ResolvedOutputS3Uri = $"s3://{Bucket}/store/000000000000/sagemaker/us-east-1/offline-store/orders-1767261600/data",
                Catalog = "AwsDataCatalog",
                Database = "sagemaker_featurestore",
                TableName = "orders_1767261600",
            },
            Status = FeatureGroupStatuses.Created,
            CreationTime = now,
            LastModifiedTime = now,
        };
        var harness = new OfflineHarness(directory, db, objects, group);
        Assert.True(await harness.Groups.AddAsync(group));
        return harness;
    }

    /// <summary>Warnings and errors the compactors logged (a failed partition is logged, not thrown).</summary>
    public RecordingLogger<OfflineStoreCompactor> Log { get; } = new();

    public OfflineStoreCompactor NewCompactor() => new(Objects, Groups, TimeProvider.System, Log, new OfflineCompactionOptions { RowGroupRows = 7 });

    /// <summary>Writes <paramref name="files"/> flush files into the hour, each of distinct records, every 7th a delete marker.</summary>
    public async Task WriteFilesAsync(DateTimeOffset hour, int files, int rowsPerFile)
    {
        for (var f = 0; f < files; f++)
        {
            for (var r = 0; r < rowsPerFile; r++)
            {
                WrittenRow row;
                lock (_lock)
                {
                    var number = _written.Count;
                    row = new WrittenRow($"r{number}", number, hour, number % 7 == 3);
                    _written.Add(row);
                }

                var eventTime = hour.AddSeconds(row.Number % 3600);
                var values = new List<KeyValuePair<string, string>>
                {
                    new("id", row.Id),
                    new("t", eventTime.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
                    new("v", row.Number.ToString(CultureInfo.InvariantCulture)),
                };
                if (row.Number % 5 != 0)
                {
                    values.Add(new("s", "s" + row.Number.ToString(CultureInfo.InvariantCulture)));
                }

                var now = DateTimeOffset.UtcNow;
                await Writer.AppendAsync(Group, new OfflineRow(values, eventTime, now, now, row.Deleted));
            }

            await Writer.FlushAsync();
            Interlocked.Add(ref _flushed, rowsPerFile);
        }
    }

    /// <summary>The Parquet objects in the hour's partition.</summary>
    public async Task<IReadOnlyList<string>> PartitionKeysAsync(DateTimeOffset hour)
    {
        var folder = string.Create(CultureInfo.InvariantCulture, $"{Prefix}/year={hour:yyyy}/month={hour:MM}/day={hour:dd}/hour={hour:HH}/");
        var listing = await Objects.ListAsync(Bucket, folder, null, "", 1000);
        return [.. listing.Objects.Select(info => info.Key).Where(key => key.EndsWith(".parquet", StringComparison.Ordinal))];
    }

    public async Task<string> DownloadAsync(string key)
    {
        var local = Path.Combine(_directory, "download-" + Guid.NewGuid().ToString("N") + ".parquet");
        var (_, content) = await Objects.GetAsync(Bucket, key);
        await using (content)
        {
            await using var file = File.Create(local);
            await content.CopyToAsync(file);
        }

        return local;
    }

    public async Task<IReadOnlySet<string>> LeavesAsync(string key)
    {
        await using var file = File.OpenRead(await DownloadAsync(key));
        return await OfflineStoreFiles.ReadLeavesAsync(file, CancellationToken.None);
    }

    /// <summary>Rows and distinct record identifiers, as a reader of the mirrored files sees them.</summary>
    public async Task<(long Rows, long Distinct)> CountAsync()
    {
        using var snapshot = await Mirror.SyncAsync(Group, CancellationToken.None);
        if (snapshot.Files.Count == 0)
        {
            return (0, 0);
        }

        await using var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), count(DISTINCT id) FROM read_parquet([{string.Join(", ", snapshot.Files.Select(file => $"'{file}'"))}], hive_partitioning = true, union_by_name = true)";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture));
    }

    /// <summary>An Athena query over the group's table: no record twice; returns the rows (checked when given).</summary>
    public async Task<int> AssertQueryAsync(int? expected, int? deleted = null)
    {
        var store = Group.OfflineStore!;
        var started = Engine.Start(new QueryRequest(
            $"SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE is_deleted) FROM \"{store.TableName}\"",
            store.Catalog, store.Database, $"s3://{Bucket}/results/", "primary"));
        var execution = await Engine.WaitAsync(started.Id);
        Assert.True(execution.State == QueryState.Succeeded, execution.StateChangeReason);
        var row = Assert.Single(Engine.Result(started.Id)!.Rows);
        var rows = int.Parse(row[0]!, CultureInfo.InvariantCulture);
        Assert.Equal(row[0], row[1]);
        if (expected is { } count)
        {
            Assert.Equal(count, rows);
        }

        if (deleted is { } markers)
        {
            Assert.Equal(markers, int.Parse(row[2]!, CultureInfo.InvariantCulture));
        }

        return rows;
    }

    /// <summary>
    /// A point-in-time dataset for the first <paramref name="records"/> records, each looked up after all writes:
    /// every one finds its row (empty features for a delete marker). Returns how many it found.
    /// </summary>
    public async Task<int> AssertDatasetAsync(int records)
    {
        var rows = Written.Take(records).ToList();
        var events = new StringBuilder("id,time\n");
        foreach (var row in rows)
        {
            events.Append(CultureInfo.InvariantCulture, $"{row.Id},{OfflineStoreCompactionTests.Hour.AddDays(1).ToUnixTimeSeconds()}\n");
        }

        var eventsKey = $"events/{Guid.NewGuid():N}.csv";
        await Objects.PutAsync(Bucket, eventsKey, new MemoryStream(Encoding.UTF8.GetBytes(events.ToString())), "text/csv", null);
        var result = await Builder.BuildAsync(new DatasetRequest($"s3://{Bucket}/{eventsKey}", "time", "id", ["orders"], $"s3://{Bucket}/datasets/{Guid.NewGuid():N}/", "csv", "us-east-1"));
        Assert.Equal(rows.Count, result.Rows);
        var (_, content) = await Objects.GetAsync(Bucket, result.FileUri[$"s3://{Bucket}/".Length..]);
        string csv;
        await using (content)
        {
            using var text = new StreamReader(content);
            csv = await text.ReadToEndAsync();
        }

        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,time,v,s", lines[0]);
        for (var i = 0; i < rows.Count; i++)
        {
            var fields = lines[i + 1].Split(',');
            Assert.Equal(rows[i].Id, fields[0]);
            Assert.Equal(rows[i].Deleted ? "" : rows[i].Number.ToString(CultureInfo.InvariantCulture), fields[2]);
        }

        return rows.Count;
    }

    public async ValueTask DisposeAsync()
    {
        Engine.Dispose();
        Writer.Dispose();
        _db.Dispose();
        await Task.Yield();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string S3UriPrefix(string uri)
    {
        var path = uri["s3://".Length..];
        return path[(path.IndexOf('/', StringComparison.Ordinal) + 1)..].TrimEnd('/');
    }

    internal sealed record WrittenRow(string Id, int Number, DateTimeOffset Hour, bool Deleted);
}

internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<string> _problems = [];

    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_problems)
            {
                return [.. _problems];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel >= LogLevel.Warning)
        {
            lock (_problems)
            {
                _problems.Add(formatter(state, exception) + " " + exception);
            }
        }
    }
}
