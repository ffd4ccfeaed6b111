using System.Text.Json;
using Kiln.Core.Objects;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite.Objects;

public sealed class SqliteObjectIndex(SqliteDatabase db) : IObjectIndex
{
    private const string ObjectColumns = "bucket, key, size, etag, content_type, last_modified, metadata, checksum_algorithm, checksum_value";
    private const string UploadColumns = "upload_id, bucket, key, initiated, content_type, metadata, checksum_algorithm";

    public Task<bool> CreateBucketAsync(string name, DateTimeOffset now, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            "INSERT INTO s3_buckets (name, creation_time) VALUES ($name, $now) ON CONFLICT DO NOTHING",
            ("$name", name), ("$now", now.ToUnixTimeMilliseconds())) == 1, ct);

    public Task<BucketInfo?> FindBucketAsync(string name, CancellationToken ct = default) =>
        Task.FromResult(db.Read(session => session.QuerySingle("SELECT name, creation_time FROM s3_buckets WHERE name = $name", ReadBucket, ("$name", name))));

    public Task<IReadOnlyList<BucketInfo>> ListBucketsAsync(CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<BucketInfo>>(db.Read(session => session.Query("SELECT name, creation_time FROM s3_buckets ORDER BY name", ReadBucket)));

    public Task<bool> DeleteBucketAsync(string name, CancellationToken ct = default) =>
        db.WriteAsync(session =>
        {
            if (session.Scalar("SELECT 1 FROM s3_objects WHERE bucket = $name LIMIT 1", ("$name", name)) is not null)
            {
                return false;
            }

            session.Execute("DELETE FROM s3_buckets WHERE name = $name", ("$name", name));
            return true;
        }, ct);

    public Task PutObjectAsync(ObjectInfo info, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            $"INSERT INTO s3_objects ({ObjectColumns}) VALUES ($bucket, $key, $size, $etag, $type, $modified, $metadata, $algorithm, $checksum) " +
            "ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, content_type = excluded.content_type, last_modified = excluded.last_modified, " +
            "metadata = excluded.metadata, checksum_algorithm = excluded.checksum_algorithm, checksum_value = excluded.checksum_value",
            ("$bucket", info.Bucket), ("$key", info.Key), ("$size", info.Size), ("$etag", info.ETag), ("$type", info.ContentType),
            ("$modified", info.LastModified.ToUnixTimeMilliseconds()), ("$metadata", JsonSerializer.Serialize(info.Metadata)),
            ("$algorithm", AlgorithmName(info.Checksum?.Algorithm)), ("$checksum", info.Checksum?.Value)), ct);

    public Task<ObjectInfo?> FindObjectAsync(string bucket, string key, CancellationToken ct = default) =>
        Task.FromResult(db.Read(session => session.QuerySingle(
            $"SELECT {ObjectColumns} FROM s3_objects WHERE bucket = $bucket AND key = $key", ReadObject, ("$bucket", bucket), ("$key", key))));

    public Task<bool> DeleteObjectAsync(string bucket, string key, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute("DELETE FROM s3_objects WHERE bucket = $bucket AND key = $key", ("$bucket", bucket), ("$key", key)) == 1, ct);

    public Task<IReadOnlyList<ObjectInfo>> ListObjectsAsync(string bucket, string prefix, string after, int limit, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<ObjectInfo>>(db.Read(session => session.Query(
            // key >= prefix starts the index range scan at the prefix; substr() ends the match at it.
            $"SELECT {ObjectColumns} FROM s3_objects WHERE bucket = $bucket AND key > $after AND key >= $prefix AND substr(key, 1, length($prefix)) = $prefix ORDER BY key LIMIT $limit",
            ReadObject,
            ("$bucket", bucket), ("$after", after), ("$prefix", prefix), ("$limit", limit))));

    public Task CreateUploadAsync(MultipartUpload upload, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            $"INSERT INTO s3_uploads ({UploadColumns}) VALUES ($id, $bucket, $key, $initiated, $type, $metadata, $algorithm)",
            ("$id", upload.UploadId), ("$bucket", upload.Bucket), ("$key", upload.Key), ("$initiated", upload.Initiated.ToUnixTimeMilliseconds()),
            ("$type", upload.ContentType), ("$metadata", JsonSerializer.Serialize(upload.Metadata)), ("$algorithm", AlgorithmName(upload.ChecksumAlgorithm))), ct);

    public Task<MultipartUpload?> FindUploadAsync(string uploadId, CancellationToken ct = default) =>
        Task.FromResult(db.Read(session => session.QuerySingle(
            $"SELECT {UploadColumns} FROM s3_uploads WHERE upload_id = $id", ReadUpload, ("$id", uploadId))));

    public Task<IReadOnlyList<MultipartUpload>> ListUploadsAsync(string bucket, string prefix, string keyMarker, string? uploadIdMarker, int limit, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<MultipartUpload>>(db.Read(session =>
        {
            // After an upload of the marker key means later in (initiated, upload_id) order; an unknown upload id
            // marker (or none) starts after every upload of the key.
            var marker = uploadIdMarker is null ? [] : session.Query(
                "SELECT initiated, upload_id FROM s3_uploads WHERE upload_id = $id AND bucket = $bucket AND key = $key",
                reader => (Initiated: reader.GetInt64(0), Id: reader.GetString(1)),
                ("$id", uploadIdMarker), ("$bucket", bucket), ("$key", keyMarker));
            return session.Query(
                $"SELECT {UploadColumns} FROM s3_uploads WHERE bucket = $bucket AND key >= $prefix AND substr(key, 1, length($prefix)) = $prefix " +
                "AND (key > $marker OR (key = $marker AND $hasMarker AND (initiated, upload_id) > ($initiated, $uploadId))) " +
                "ORDER BY key, initiated, upload_id LIMIT $limit",
                ReadUpload,
                ("$bucket", bucket), ("$prefix", prefix), ("$marker", keyMarker), ("$hasMarker", marker.Count),
                ("$initiated", marker.Count > 0 ? marker[0].Initiated : 0), ("$uploadId", marker.Count > 0 ? marker[0].Id : ""), ("$limit", limit));
        }));

    public Task PutPartAsync(string uploadId, UploadedPart part, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            "INSERT INTO s3_upload_parts (upload_id, part_number, size, etag, last_modified, checksum_algorithm, checksum_value) VALUES ($id, $number, $size, $etag, $modified, $algorithm, $checksum) " +
            "ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag, last_modified = excluded.last_modified, " +
            "checksum_algorithm = excluded.checksum_algorithm, checksum_value = excluded.checksum_value",
            ("$id", uploadId), ("$number", part.Number), ("$size", part.Size), ("$etag", part.ETag), ("$modified", part.LastModified.ToUnixTimeMilliseconds()),
            ("$algorithm", AlgorithmName(part.Checksum?.Algorithm)), ("$checksum", part.Checksum?.Value)), ct);

    public Task<IReadOnlyList<UploadedPart>> ListPartsAsync(string uploadId, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<UploadedPart>>(db.Read(session => session.Query(
            "SELECT part_number, size, etag, last_modified, checksum_algorithm, checksum_value FROM s3_upload_parts WHERE upload_id = $id ORDER BY part_number",
            reader => new UploadedPart(reader.GetInt32(0), reader.GetInt64(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), ReadChecksum(reader, 4)),
            ("$id", uploadId))));

    public Task DeleteUploadAsync(string uploadId, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute("DELETE FROM s3_uploads WHERE upload_id = $id", ("$id", uploadId)), ct);

    private static BucketInfo ReadBucket(SqliteDataReader reader) => new(reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));

    private static ObjectInfo ReadObject(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(6))!, ReadChecksum(reader, 7));

    private static MultipartUpload ReadUpload(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        reader.GetString(4), JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(5))!,
        ObjectChecksum.TryParseName(reader.IsDBNull(6) ? null : reader.GetString(6), out var algorithm) ? algorithm : null);

    private static ObjectChecksum? ReadChecksum(SqliteDataReader reader, int column) =>
        !reader.IsDBNull(column) && !reader.IsDBNull(column + 1) && ObjectChecksum.TryParseName(reader.GetString(column), out var algorithm)
            ? new ObjectChecksum(algorithm, reader.GetString(column + 1))
            : null;

    private static string? AlgorithmName(ChecksumAlgorithm? algorithm) => algorithm is { } known ? ObjectChecksum.Name(known) : null;
}
