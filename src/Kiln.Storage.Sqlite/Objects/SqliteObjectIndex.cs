using System.Text.Json;
using Kiln.Core.Objects;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite.Objects;

public sealed class SqliteObjectIndex(SqliteDatabase db) : IObjectIndex
{
    private const string ObjectColumns = "bucket, key, size, etag, content_type, last_modified, metadata";

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
            $"INSERT INTO s3_objects ({ObjectColumns}) VALUES ($bucket, $key, $size, $etag, $type, $modified, $metadata) " +
            "ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, content_type = excluded.content_type, last_modified = excluded.last_modified, metadata = excluded.metadata",
            ("$bucket", info.Bucket), ("$key", info.Key), ("$size", info.Size), ("$etag", info.ETag), ("$type", info.ContentType),
            ("$modified", info.LastModified.ToUnixTimeMilliseconds()), ("$metadata", JsonSerializer.Serialize(info.Metadata))), ct);

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
            "INSERT INTO s3_uploads (upload_id, bucket, key, initiated, content_type, metadata) VALUES ($id, $bucket, $key, $initiated, $type, $metadata)",
            ("$id", upload.UploadId), ("$bucket", upload.Bucket), ("$key", upload.Key), ("$initiated", upload.Initiated.ToUnixTimeMilliseconds()),
            ("$type", upload.ContentType), ("$metadata", JsonSerializer.Serialize(upload.Metadata))), ct);

    public Task<MultipartUpload?> FindUploadAsync(string uploadId, CancellationToken ct = default) =>
        Task.FromResult(db.Read(session => session.QuerySingle(
            "SELECT upload_id, bucket, key, initiated, content_type, metadata FROM s3_uploads WHERE upload_id = $id",
            reader => new MultipartUpload(reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                reader.GetString(4), JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(5))!),
            ("$id", uploadId))));

    public Task PutPartAsync(string uploadId, UploadedPart part, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            "INSERT INTO s3_upload_parts (upload_id, part_number, size, etag, last_modified) VALUES ($id, $number, $size, $etag, $modified) " +
            "ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag, last_modified = excluded.last_modified",
            ("$id", uploadId), ("$number", part.Number), ("$size", part.Size), ("$etag", part.ETag), ("$modified", part.LastModified.ToUnixTimeMilliseconds())), ct);

    public Task<IReadOnlyList<UploadedPart>> ListPartsAsync(string uploadId, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<UploadedPart>>(db.Read(session => session.Query(
            "SELECT part_number, size, etag, last_modified FROM s3_upload_parts WHERE upload_id = $id ORDER BY part_number",
            reader => new UploadedPart(reader.GetInt32(0), reader.GetInt64(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))),
            ("$id", uploadId))));

    public Task DeleteUploadAsync(string uploadId, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute("DELETE FROM s3_uploads WHERE upload_id = $id", ("$id", uploadId)), ct);

    private static BucketInfo ReadBucket(SqliteDataReader reader) => new(reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));

    private static ObjectInfo ReadObject(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(6))!);
}
