using System.Text.Json;
using Kiln.Core.Objects;
using Npgsql;

namespace Kiln.Storage.Postgres.Objects;

public sealed class PostgresObjectIndex(PostgresDatabase db) : IObjectIndex
{
    private const string ObjectColumns = "bucket, key, size, etag, content_type, last_modified, metadata, checksum_algorithm, checksum_value";
    private const string UploadColumns = "upload_id, bucket, key, initiated, content_type, metadata, checksum_algorithm";

    public Task<bool> CreateBucketAsync(string name, DateTimeOffset now, CancellationToken ct = default) =>
        db.WriteAsync(async session => await session.ExecuteAsync(
            "INSERT INTO s3_buckets (name, creation_time) VALUES (@name, @now) ON CONFLICT DO NOTHING",
            ("name", name), ("now", now.ToUnixTimeMilliseconds())).ConfigureAwait(false) == 1, ct);

    public Task<BucketInfo?> FindBucketAsync(string name, CancellationToken ct = default) =>
        db.ReadAsync(session => session.QuerySingleAsync("SELECT name, creation_time FROM s3_buckets WHERE name = @name", ReadBucket, ("name", name)), ct);

    public async Task<IReadOnlyList<BucketInfo>> ListBucketsAsync(CancellationToken ct = default) =>
        await db.ReadAsync(session => session.QueryAsync("SELECT name, creation_time FROM s3_buckets ORDER BY name", ReadBucket), ct).ConfigureAwait(false);

    public Task<bool> DeleteBucketAsync(string name, CancellationToken ct = default) =>
        db.WriteAsync(async session =>
        {
            // Locking the bucket row makes a concurrent PutObject (whose foreign key needs it) wait for this check.
            await session.ExecuteAsync("SELECT 1 FROM s3_buckets WHERE name = @name FOR UPDATE", ("name", name)).ConfigureAwait(false);
            if (await session.ScalarAsync("SELECT 1 FROM s3_objects WHERE bucket = @name LIMIT 1", ("name", name)).ConfigureAwait(false) is not null)
            {
                return false;
            }

            await session.ExecuteAsync("DELETE FROM s3_buckets WHERE name = @name", ("name", name)).ConfigureAwait(false);
            return true;
        }, ct);

    public Task PutObjectAsync(ObjectInfo info, CancellationToken ct = default) =>
        db.WriteAsync(session => session.ExecuteAsync(
            $"INSERT INTO s3_objects ({ObjectColumns}) VALUES (@bucket, @key, @size, @etag, @type, @modified, @metadata, @algorithm, @checksum) " +
            "ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, content_type = excluded.content_type, last_modified = excluded.last_modified, " +
            "metadata = excluded.metadata, checksum_algorithm = excluded.checksum_algorithm, checksum_value = excluded.checksum_value",
            ("bucket", info.Bucket), ("key", info.Key), ("size", info.Size), ("etag", info.ETag), ("type", info.ContentType),
            ("modified", info.LastModified.ToUnixTimeMilliseconds()), ("metadata", JsonSerializer.Serialize(info.Metadata)),
            ("algorithm", AlgorithmName(info.Checksum?.Algorithm)), ("checksum", info.Checksum?.Value)), ct);

    public Task<ObjectInfo?> FindObjectAsync(string bucket, string key, CancellationToken ct = default) =>
        db.ReadAsync(session => session.QuerySingleAsync(
            $"SELECT {ObjectColumns} FROM s3_objects WHERE bucket = @bucket AND key = @key", ReadObject, ("bucket", bucket), ("key", key)), ct);

    public Task<bool> DeleteObjectAsync(string bucket, string key, CancellationToken ct = default) =>
        db.WriteAsync(async session => await session.ExecuteAsync("DELETE FROM s3_objects WHERE bucket = @bucket AND key = @key", ("bucket", bucket), ("key", key)).ConfigureAwait(false) == 1, ct);

    public async Task<IReadOnlyList<ObjectInfo>> ListObjectsAsync(string bucket, string prefix, string after, int limit, CancellationToken ct = default) =>
        await db.ReadAsync(session => session.QueryAsync(
            // key >= prefix starts the index range scan at the prefix; left() ends the match at it.
            $"SELECT {ObjectColumns} FROM s3_objects WHERE bucket = @bucket AND key > @after AND key >= @prefix AND left(key, length(@prefix)) = @prefix ORDER BY key LIMIT @limit",
            ReadObject,
            ("bucket", bucket), ("after", after), ("prefix", prefix), ("limit", limit)), ct).ConfigureAwait(false);

    public Task CreateUploadAsync(MultipartUpload upload, CancellationToken ct = default) =>
        db.WriteAsync(session => session.ExecuteAsync(
            $"INSERT INTO s3_uploads ({UploadColumns}) VALUES (@id, @bucket, @key, @initiated, @type, @metadata, @algorithm)",
            ("id", upload.UploadId), ("bucket", upload.Bucket), ("key", upload.Key), ("initiated", upload.Initiated.ToUnixTimeMilliseconds()),
            ("type", upload.ContentType), ("metadata", JsonSerializer.Serialize(upload.Metadata)), ("algorithm", AlgorithmName(upload.ChecksumAlgorithm))), ct);

    public Task<MultipartUpload?> FindUploadAsync(string uploadId, CancellationToken ct = default) =>
        db.ReadAsync(session => session.QuerySingleAsync(
            $"SELECT {UploadColumns} FROM s3_uploads WHERE upload_id = @id", ReadUpload, ("id", uploadId)), ct);

    public async Task<IReadOnlyList<MultipartUpload>> ListUploadsAsync(string bucket, string prefix, string keyMarker, string? uploadIdMarker, int limit, CancellationToken ct = default) =>
        await db.ReadAsync(async session =>
        {
            // After an upload of the marker key means later in (initiated, upload_id) order; an unknown upload id
            // marker (or none) starts after every upload of the key.
            var marker = uploadIdMarker is null ? [] : await session.QueryAsync(
                "SELECT initiated, upload_id FROM s3_uploads WHERE upload_id = @id AND bucket = @bucket AND key = @key",
                reader => (Initiated: reader.GetInt64(0), Id: reader.GetString(1)),
                ("id", uploadIdMarker), ("bucket", bucket), ("key", keyMarker)).ConfigureAwait(false);
            return await session.QueryAsync(
                $"SELECT {UploadColumns} FROM s3_uploads WHERE bucket = @bucket AND key >= @prefix AND left(key, length(@prefix)) = @prefix " +
                "AND (key > @marker OR (key = @marker AND @hasMarker AND (initiated, upload_id) > (@initiated, @uploadId))) " +
                "ORDER BY key, initiated, upload_id LIMIT @limit",
                ReadUpload,
                ("bucket", bucket), ("prefix", prefix), ("marker", keyMarker), ("hasMarker", marker.Count > 0),
                ("initiated", marker.Count > 0 ? marker[0].Initiated : 0L), ("uploadId", marker.Count > 0 ? marker[0].Id : ""), ("limit", limit)).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    public Task PutPartAsync(string uploadId, UploadedPart part, CancellationToken ct = default) =>
        db.WriteAsync(session => session.ExecuteAsync(
            "INSERT INTO s3_upload_parts (upload_id, part_number, size, etag, last_modified, checksum_algorithm, checksum_value) VALUES (@id, @number, @size, @etag, @modified, @algorithm, @checksum) " +
            "ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag, last_modified = excluded.last_modified, " +
            "checksum_algorithm = excluded.checksum_algorithm, checksum_value = excluded.checksum_value",
            ("id", uploadId), ("number", part.Number), ("size", part.Size), ("etag", part.ETag), ("modified", part.LastModified.ToUnixTimeMilliseconds()),
            ("algorithm", AlgorithmName(part.Checksum?.Algorithm)), ("checksum", part.Checksum?.Value)), ct);

    public async Task<IReadOnlyList<UploadedPart>> ListPartsAsync(string uploadId, CancellationToken ct = default) =>
        await db.ReadAsync(session => session.QueryAsync(
            "SELECT part_number, size, etag, last_modified, checksum_algorithm, checksum_value FROM s3_upload_parts WHERE upload_id = @id ORDER BY part_number",
            reader => new UploadedPart(reader.GetInt32(0), reader.GetInt64(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), ReadChecksum(reader, 4)),
            ("id", uploadId)), ct).ConfigureAwait(false);

    public Task DeleteUploadAsync(string uploadId, CancellationToken ct = default) =>
        db.WriteAsync(session => session.ExecuteAsync("DELETE FROM s3_uploads WHERE upload_id = @id", ("id", uploadId)), ct);

    private static BucketInfo ReadBucket(NpgsqlDataReader reader) => new(reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));

    private static ObjectInfo ReadObject(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(6))!, ReadChecksum(reader, 7));

    private static MultipartUpload ReadUpload(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        reader.GetString(4), JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(5))!,
        ObjectChecksum.TryParseName(reader.IsDBNull(6) ? null : reader.GetString(6), out var algorithm) ? algorithm : null);

    private static ObjectChecksum? ReadChecksum(NpgsqlDataReader reader, int column) =>
        !reader.IsDBNull(column) && !reader.IsDBNull(column + 1) && ObjectChecksum.TryParseName(reader.GetString(column), out var algorithm)
            ? new ObjectChecksum(algorithm, reader.GetString(column + 1))
            : null;

    private static string? AlgorithmName(ChecksumAlgorithm? algorithm) => algorithm is { } known ? ObjectChecksum.Name(known) : null;
}
