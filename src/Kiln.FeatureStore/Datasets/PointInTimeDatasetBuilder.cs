using System.Text;
using DuckDB.NET.Data;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.FeatureStore;
using Kiln.Core.Lineage;
using Kiln.Core.Objects;
using Kiln.FeatureStore.Offline;

namespace Kiln.FeatureStore.Datasets;

/// <summary>
/// Point-in-time joins on DuckDB. For every event and every group, the feature values are those of the group's offline
/// store row for the event's record identifier with the latest event time at or before the event's time (an ASOF join);
/// when that row is a delete marker, or there is none, the features are empty. Rows with the same record identifier
/// and event time are reduced to the last written, as the online store would have kept it. Nothing from after an
/// event's time can reach its row.
/// <para>
/// Lineage: each group (an artifact whose source is its ARN) and the events file contributed to the dataset artifact,
/// whose URI is the output folder and whose hash is the one a training job computes for a channel holding just this
/// file, so a job that trains on it joins the same graph.
/// </para>
/// </summary>
public sealed class PointInTimeDatasetBuilder(
    FeatureGroupService featureGroups,
    OfflineStoreMirror mirror,
    ObjectStore objects,
    ILineageStore lineage,
    TimeProvider clock) : ITrainingDatasetBuilder
{
    public const string FeatureGroupArtifactType = "FeatureGroup";

    public async Task<DatasetResult> BuildAsync(DatasetRequest request, CancellationToken ct = default)
    {
        var format = request.Format.ToLowerInvariant() switch
        {
            "csv" => "csv",
            "parquet" => "parquet",
            _ => throw KilnException.InvalidParameter($"Unknown format {request.Format}: use csv or parquet."),
        };
        if (request.FeatureGroups.Count == 0)
        {
            throw KilnException.InvalidParameter("Name at least one feature group.");
        }

        if (string.IsNullOrWhiteSpace(request.EventTimeColumn) || string.IsNullOrWhiteSpace(request.RecordIdColumn))
        {
            throw KilnException.InvalidParameter("The event time column and the record identifier column are required.");
        }

        var (eventsBucket, eventsKey) = SplitObjectUri(request.EventsUri, "events");
        if (!request.OutputUri.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter($"The output {request.OutputUri} is not an S3 URI (s3://bucket/prefix/).");
        }

        var outputFolder = request.OutputUri.EndsWith('/') ? request.OutputUri : request.OutputUri + "/";
        var (outputBucket, outputPrefix) = S3Uris.Split(outputFolder);
        try
        {
            await objects.GetBucketAsync(outputBucket, ct).ConfigureAwait(false);
        }
        catch (ObjectStoreException e) when (e.Error == ObjectError.NoSuchBucket)
        {
            throw KilnException.InvalidParameter($"The output bucket {outputBucket} does not exist.");
        }

        var groups = new List<FeatureGroup>();
        foreach (var name in request.FeatureGroups.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var group = await featureGroups.GetAsync(name, ct).ConfigureAwait(false);
            if (group.OfflineStore is null)
            {
                throw KilnException.InvalidParameter($"Feature group {group.Name} has no offline store: a training set is built from the offline store.");
            }

            groups.Add(group);
        }

        var work = Path.Combine(Path.GetTempPath(), "kiln-dataset-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var eventsFile = Path.Combine(work, "events.csv");
            try
            {
                var (_, content) = await objects.GetAsync(eventsBucket, eventsKey, ct).ConfigureAwait(false);
                await using (content.ConfigureAwait(false))
                {
                    await using var file = File.Create(eventsFile);
                    await content.CopyToAsync(file, ct).ConfigureAwait(false);
                }
            }
            catch (ObjectStoreException e) when (e.Error is ObjectError.NoSuchBucket or ObjectError.NoSuchKey)
            {
                throw KilnException.NotFound($"The events file {request.EventsUri} does not exist.");
            }

            var fileName = "dataset." + format;
            var output = Path.Combine(work, fileName);
            var (rows, columns) = await JoinAsync(request, groups, eventsFile, output, format, ct).ConfigureAwait(false);
            var key = outputPrefix.Length == 0 ? fileName : outputPrefix + "/" + fileName;
            await using (var stream = File.OpenRead(output))
            {
                await objects.PutAsync(outputBucket, key, stream, format == "csv" ? "text/csv" : "application/octet-stream", null, ct: ct).ConfigureAwait(false);
            }

            var hash = await FolderHash.FileAsync(output, ct).ConfigureAwait(false);
            var artifact = await RecordLineageAsync(request, groups, outputFolder, hash, ct).ConfigureAwait(false);
            return new DatasetResult(outputFolder, $"s3://{outputBucket}/{key}", rows, columns, artifact, hash);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private async Task<(long Rows, IReadOnlyList<string> Columns)> JoinAsync(DatasetRequest request, IReadOnlyList<FeatureGroup> groups, string eventsFile, string output, string format, CancellationToken ct)
    {
        await using var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync(ct).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, $"CREATE TEMP TABLE raw_events AS SELECT * FROM read_csv({Literal(eventsFile)}, header = true, auto_detect = true)", ct).ConfigureAwait(false);
        }
        catch (DuckDBException e)
        {
            throw KilnException.InvalidParameter($"The events file {request.EventsUri} could not be read as CSV with a header: {e.Message}");
        }

        var eventColumns = await ColumnsAsync(connection, "raw_events", ct).ConfigureAwait(false);
        var timeType = Column(eventColumns, request.EventTimeColumn, request.EventsUri);
        Column(eventColumns, request.RecordIdColumn, request.EventsUri);
        var eventTime = Quote(request.EventTimeColumn);
        var eventTs = IsNumeric(timeType) ? $"to_timestamp(CAST({eventTime} AS DOUBLE))" : $"CAST({eventTime} AS TIMESTAMPTZ)";
        try
        {
            await ExecuteAsync(connection, $"CREATE TEMP TABLE events AS SELECT *, row_number() OVER () AS __kiln_row, {eventTs} AS __kiln_ts, CAST({Quote(request.RecordIdColumn)} AS VARCHAR) AS __kiln_id FROM raw_events", ct).ConfigureAwait(false);
        }
        catch (DuckDBException e)
        {
            throw KilnException.InvalidParameter($"The event time column {request.EventTimeColumn} holds values that are neither epoch seconds nor ISO-8601 times: {e.Message}");
        }

        var taken = new HashSet<string>(eventColumns.Select(column => column.Name), StringComparer.OrdinalIgnoreCase);
        var select = new StringBuilder("SELECT events.* EXCLUDE (__kiln_row, __kiln_ts, __kiln_id)");
        var joins = new StringBuilder();
        for (var i = 0; i < groups.Count; i++)
        {
            var group = groups[i];
            // The snapshot keeps its files on disk (compaction may replace them meanwhile) until the table is built.
            using var snapshot = await mirror.SyncAsync(group, ct).ConfigureAwait(false);
            var files = snapshot.Files;
            var id = Quote(group.RecordIdentifierFeatureName);
            var time = Quote(group.EventTimeFeatureName);
            var ts = group.Feature(group.EventTimeFeatureName)!.Type == FeatureType.Fractional ? $"to_timestamp({time})" : $"CAST({time} AS TIMESTAMPTZ)";
            var features = group.Features.Where(feature => feature.Name != group.RecordIdentifierFeatureName && feature.Name != group.EventTimeFeatureName).ToList();
            var alias = $"g{i}";
            await ExecuteAsync(connection, $"""
                CREATE TEMP TABLE {alias} AS
                SELECT CAST({id} AS VARCHAR) AS __kiln_id, {ts} AS __kiln_ts, is_deleted AS __kiln_deleted{string.Concat(features.Select(feature => ", " + Quote(feature.Name)))}
                FROM ({DuckDbQueryEngine.TableSql(group, files)}) AS offline
                QUALIFY row_number() OVER (PARTITION BY CAST({id} AS VARCHAR), {ts} ORDER BY write_time DESC, api_invocation_time DESC) = 1
                """, ct).ConfigureAwait(false);
            foreach (var feature in features)
            {
                var name = taken.Add(feature.Name) ? feature.Name : $"{group.Name}.{feature.Name}";
                taken.Add(name);
                select.Append($", CASE WHEN {alias}.__kiln_deleted THEN NULL ELSE {alias}.{Quote(feature.Name)} END AS {Quote(name)}");
            }

            joins.Append($" ASOF LEFT JOIN {alias} ON events.__kiln_id = {alias}.__kiln_id AND events.__kiln_ts >= {alias}.__kiln_ts");
        }

        var query = $"{select} FROM events{joins} ORDER BY events.__kiln_row";
        var options = format == "csv" ? "(FORMAT CSV, HEADER true)" : "(FORMAT PARQUET)";
        await ExecuteAsync(connection, $"CREATE TEMP TABLE dataset AS {query}", ct).ConfigureAwait(false);
        await ExecuteAsync(connection, $"COPY dataset TO {Literal(output)} {options}", ct).ConfigureAwait(false);
        var columns = (await ColumnsAsync(connection, "dataset", ct).ConfigureAwait(false)).Select(column => column.Name).ToList();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM dataset";
        var rows = Convert.ToInt64(await count.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        return (rows, columns);
    }

    private async Task<string> RecordLineageAsync(DatasetRequest request, IReadOnlyList<FeatureGroup> groups, string outputFolder, string hash, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var dataset = LineageService.ArtifactArn(request.Region, outputFolder, hash);
        await lineage.AddAsync(Artifact(dataset, LineageTypes.DataSet, outputFolder, hash, now, new Dictionary<string, string>
        {
            ["FeatureGroups"] = string.Join(",", groups.Select(group => group.Name)),
            ["EventsUri"] = request.EventsUri,
            ["PointInTime"] = "true",
        }), ct).ConfigureAwait(false);
        var events = LineageService.ArtifactArn(request.Region, request.EventsUri, null);
        await lineage.AddAsync(Artifact(events, LineageTypes.DataSet, request.EventsUri, null, now, new Dictionary<string, string>()), ct).ConfigureAwait(false);
        await lineage.AssociateAsync(new LineageAssociation(events, dataset, AssociationTypes.ContributedTo, now), ct).ConfigureAwait(false);
        foreach (var group in groups)
        {
            var arn = LineageService.ArtifactArn(request.Region, group.Arn, null);
            await lineage.AddAsync(Artifact(arn, FeatureGroupArtifactType, group.Arn, null, now, new Dictionary<string, string> { ["FeatureGroupName"] = group.Name }), ct).ConfigureAwait(false);
            await lineage.AssociateAsync(new LineageAssociation(arn, dataset, AssociationTypes.ContributedTo, now), ct).ConfigureAwait(false);
        }

        return dataset;
    }

    private static LineageEntity Artifact(string arn, string type, string uri, string? hash, DateTimeOffset now, IReadOnlyDictionary<string, string> properties) => new()
    {
        Arn = arn,
        Kind = LineageKind.Artifact,
        Type = type,
        SourceUri = uri,
        ContentHash = hash,
        Properties = properties,
        CreatedBy = "kiln",
        CreationTime = now,
        LastModifiedTime = now,
    };

    private static (string Bucket, string Key) SplitObjectUri(string uri, string what)
    {
        if (!uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw KilnException.InvalidParameter($"The {what} URI {uri} is not an S3 URI (s3://bucket/key).");
        }

        var (bucket, key) = S3Uris.Split(uri);
        return bucket.Length == 0 || key.Length == 0 || uri.EndsWith('/')
            ? throw KilnException.InvalidParameter($"The {what} URI {uri} must name an object (s3://bucket/key).")
            : (bucket, key);
    }

    private static string Column(IReadOnlyList<(string Name, string Type)> columns, string name, string uri) =>
        columns.FirstOrDefault(column => column.Name == name) is { Name: not null } found
            ? found.Type
            : throw KilnException.InvalidParameter($"The events file {uri} has no column {name} (it has {string.Join(", ", columns.Select(column => column.Name))}).");

    private static bool IsNumeric(string type) =>
        type is "BIGINT" or "INTEGER" or "DOUBLE" or "FLOAT" or "HUGEINT" or "SMALLINT" or "TINYINT" or "UBIGINT" or "UINTEGER" || type.StartsWith("DECIMAL", StringComparison.Ordinal);

    private static async Task<List<(string Name, string Type)>> ColumnsAsync(DuckDBConnection connection, string table, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = {Literal(table)} ORDER BY ordinal_position";
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var columns = new List<(string, string)>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            columns.Add((reader.GetString(0), reader.GetString(1)));
        }

        return columns;
    }

    private static async Task ExecuteAsync(DuckDBConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static string Quote(string identifier) => DuckDbQueryEngine.Quote(identifier);

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
