using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Kiln.Api.SageMaker;
using Kiln.Core.Objects;
using Microsoft.AspNetCore.Http.Features;

namespace Kiln.Api.S3;

/// <summary>
/// An S3-compatible endpoint (path-style: <c>/{bucket}/{key}</c>) over Kiln's object store, on the same
/// base URL as the other dialects. A request belongs to S3 when its SigV4 credential scope names the
/// <c>s3</c> service, which is how boto3 (or any SDK) signs S3 calls, whatever the bucket is called.
/// </summary>
public static partial class S3Api
{
    private static readonly string[] UploadRoles = ["Initiator", "Owner"];

    [GeneratedRegex(@"^bytes=(\d{1,18})-(\d{1,18})$")]
    private static partial Regex CopyRangePattern();

    public static IApplicationBuilder UseS3Api(this IApplicationBuilder app) =>
        app.Use((http, next) => AwsCaller.IsSignedForS3(http.Request) ? HandleAsync(http) : next(http));

    private static async Task HandleAsync(HttpContext http)
    {
        http.Response.Headers["x-amz-request-id"] = Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
        var store = http.RequestServices.GetRequiredService<ObjectStore>();
        try
        {
            var (bucket, key) = Target(http);
            var method = http.Request.Method;
            var query = http.Request.Query;
            if (bucket is null)
            {
                await (HttpMethods.IsGet(method) ? ListBucketsAsync(http, store) : NotAllowed(http));
            }
            else if (key is null)
            {
                await (method switch
                {
                    "PUT" => CreateBucketAsync(http, store, bucket),
                    "HEAD" => HeadBucketAsync(http, store, bucket),
                    "DELETE" => DeleteBucketAsync(http, store, bucket),
                    "GET" when query.ContainsKey("location") => LocationAsync(http, store, bucket),
                    "GET" when query.ContainsKey("uploads") => ListUploadsAsync(http, store, bucket),
                    "GET" when query.ContainsKey("versioning") || query.ContainsKey("acl") || query.ContainsKey("policy") => NotImplemented(http),
                    "GET" => ListObjectsAsync(http, store, bucket),
                    "POST" when query.ContainsKey("delete") => DeleteObjectsAsync(http, store, bucket),
                    _ => NotAllowed(http),
                });
            }
            else
            {
                await (method switch
                {
                    "PUT" when query.ContainsKey("uploadId") && http.Request.Headers.ContainsKey("x-amz-copy-source") => CopyPartAsync(http, store, bucket, key),
                    "PUT" when query.ContainsKey("uploadId") => UploadPartAsync(http, store, bucket, key),
                    "PUT" when http.Request.Headers.ContainsKey("x-amz-copy-source") => CopyObjectAsync(http, store, bucket, key),
                    "PUT" => PutObjectAsync(http, store, bucket, key),
                    "GET" when query.ContainsKey("uploadId") => ListPartsAsync(http, store, bucket, key),
                    "GET" or "HEAD" => GetObjectAsync(http, store, bucket, key),
                    "DELETE" when query.ContainsKey("uploadId") => AbortUploadAsync(http, store, bucket, key),
                    "DELETE" => DeleteObjectAsync(http, store, bucket, key),
                    "POST" when query.ContainsKey("uploads") => CreateUploadAsync(http, store, bucket, key),
                    "POST" when query.ContainsKey("uploadId") => CompleteUploadAsync(http, store, bucket, key),
                    _ => NotAllowed(http),
                });
            }
        }
        catch (ObjectStoreException e)
        {
            var (code, status) = S3Xml.Describe(e.Error);
            await S3Xml.WriteErrorAsync(http, code, e.Message, status);
        }
        catch (Security.ChunkSignatureMismatchException e)
        {
            await S3Xml.WriteErrorAsync(http, "SignatureDoesNotMatch", e.Message, 403);
        }
        catch (Security.PayloadHashMismatchException e)
        {
            await S3Xml.WriteErrorAsync(http, "XAmzContentSHA256Mismatch", e.Message, 400);
        }
        catch (InvalidDataException e)
        {
            await S3Xml.WriteErrorAsync(http, "IncompleteBody", e.Message, 400);
        }
        catch (System.Xml.XmlException e)
        {
            await S3Xml.WriteErrorAsync(http, "MalformedXML", $"The XML you provided was not well-formed or did not validate against our published schema: {e.Message}", 400);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!http.Response.HasStarted && StoreOutage.Is(e))
        {
            http.Response.Headers.RetryAfter = StoreOutage.RetryAfterSeconds;
            await S3Xml.WriteErrorAsync(http, "ServiceUnavailable", StoreOutage.Message(e), 503);
        }
    }

    /// <summary>Bucket and key from the raw request target: Kestrel would already have resolved dot segments in the decoded path.</summary>
    private static (string? Bucket, string? Key) Target(HttpContext http)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "/";
        var path = raw.Split('?', 2)[0];
        if (path.StartsWith("http", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(path, UriKind.Absolute, out var absolute))
        {
            path = absolute.AbsolutePath;
        }

        path = path.TrimStart('/');
        if (path.Length == 0)
        {
            return (null, null);
        }

        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var bucket = Uri.UnescapeDataString(slash < 0 ? path : path[..slash]);
        var key = slash < 0 || slash == path.Length - 1 ? null : Uri.UnescapeDataString(path[(slash + 1)..]);
        return (bucket, key);
    }

    private static Task ListBucketsAsync(HttpContext http, ObjectStore store) =>
        WithAsync(store.ListBucketsAsync(http.RequestAborted), buckets => S3Xml.WriteAsync(http.Response, "ListAllMyBucketsResult", writer =>
        {
            writer.WriteStartElement("Owner", S3Xml.Namespace);
            writer.Element("ID", "kiln");
            writer.Element("DisplayName", "kiln");
            writer.WriteEndElement();
            writer.WriteStartElement("Buckets", S3Xml.Namespace);
            foreach (var bucket in buckets)
            {
                writer.WriteStartElement("Bucket", S3Xml.Namespace);
                writer.Element("Name", bucket.Name);
                writer.Element("CreationDate", S3Xml.Time(bucket.Created));
                writer.WriteEndElement();
            }

            writer.WriteEndElement();
        }));

    private static async Task CreateBucketAsync(HttpContext http, ObjectStore store, string bucket)
    {
        await store.CreateBucketAsync(bucket, http.RequestAborted);
        http.Response.Headers.Location = "/" + bucket;
    }

    private static async Task HeadBucketAsync(HttpContext http, ObjectStore store, string bucket)
    {
        await store.GetBucketAsync(bucket, http.RequestAborted);
        http.Response.Headers["x-amz-bucket-region"] = "us-east-1";
    }

    private static async Task DeleteBucketAsync(HttpContext http, ObjectStore store, string bucket)
    {
        await store.DeleteBucketAsync(bucket, http.RequestAborted);
        http.Response.StatusCode = 204;
    }

    private static async Task LocationAsync(HttpContext http, ObjectStore store, string bucket)
    {
        await store.GetBucketAsync(bucket, http.RequestAborted);
        await S3Xml.WriteAsync(http.Response, "LocationConstraint", _ => { });
    }

    /// <summary>ListObjectsV2 (list-type=2), and the original ListObjects with its marker.</summary>
    private static async Task ListObjectsAsync(HttpContext http, ObjectStore store, string bucket)
    {
        var query = http.Request.Query;
        var v2 = query["list-type"] == "2";
        var prefix = query["prefix"].ToString();
        var delimiter = query["delimiter"].ToString();
        var encode = query["encoding-type"] == "url";
        var maxKeys = 1000;
        if (query.TryGetValue("max-keys", out var max) && (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out maxKeys) || maxKeys < 0))
        {
            throw new ObjectStoreException(ObjectError.InvalidArgument, "Provided max-keys not an integer or within integer range");
        }

        maxKeys = Math.Min(maxKeys, 1000);
        var token = query["continuation-token"].ToString();
        var startAfter = query["start-after"].ToString();
        var marker = query["marker"].ToString();
        string after;
        if (v2 && token.Length > 0)
        {
            try
            {
                after = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            }
            catch (FormatException)
            {
                throw new ObjectStoreException(ObjectError.InvalidArgument, "The continuation token provided is incorrect");
            }
        }
        else
        {
            after = v2 ? startAfter : marker;
        }

        var listing = maxKeys == 0
            ? new ObjectListing([], [], false, null)
            : await store.ListAsync(bucket, prefix, delimiter.Length == 0 ? null : delimiter, after, maxKeys, http.RequestAborted);
        string Shown(string value) => encode ? Uri.EscapeDataString(value).Replace("%2F", "/", StringComparison.Ordinal) : value;

        await S3Xml.WriteAsync(http.Response, "ListBucketResult", writer =>
        {
            writer.Element("Name", bucket);
            writer.Element("Prefix", Shown(prefix));
            if (v2)
            {
                writer.Element("KeyCount", (listing.Objects.Count + listing.CommonPrefixes.Count).ToString(CultureInfo.InvariantCulture));
                writer.Element("ContinuationToken", token.Length > 0 ? token : null);
                writer.Element("NextContinuationToken", listing.IsTruncated ? Convert.ToBase64String(Encoding.UTF8.GetBytes(listing.NextMarker!)) : null);
                writer.Element("StartAfter", startAfter.Length > 0 ? Shown(startAfter) : null);
            }
            else
            {
                writer.Element("Marker", Shown(marker));
                writer.Element("NextMarker", listing.IsTruncated && delimiter.Length > 0 ? Shown(listing.NextMarker!) : null);
            }

            writer.Element("MaxKeys", maxKeys.ToString(CultureInfo.InvariantCulture));
            writer.Element("Delimiter", delimiter.Length > 0 ? Shown(delimiter) : null);
            writer.Element("EncodingType", encode ? "url" : null);
            writer.Element("IsTruncated", listing.IsTruncated ? "true" : "false");
            foreach (var item in listing.Objects)
            {
                writer.WriteStartElement("Contents", S3Xml.Namespace);
                writer.Element("Key", Shown(item.Key));
                writer.Element("LastModified", S3Xml.Time(item.LastModified));
                writer.Element("ETag", item.ETag);
                writer.Element("Size", item.Size.ToString(CultureInfo.InvariantCulture));
                writer.Element("StorageClass", "STANDARD");
                writer.Element("ChecksumAlgorithm", item.Checksum is null ? null : ObjectChecksum.Name(item.Checksum.Algorithm));
                writer.Element("ChecksumType", item.Checksum is null ? null : item.Checksum.IsComposite ? "COMPOSITE" : "FULL_OBJECT");
                writer.WriteEndElement();
            }

            foreach (var common in listing.CommonPrefixes)
            {
                writer.WriteStartElement("CommonPrefixes", S3Xml.Namespace);
                writer.Element("Prefix", Shown(common));
                writer.WriteEndElement();
            }
        });
    }

    private static async Task DeleteObjectsAsync(HttpContext http, ObjectStore store, string bucket)
    {
        await store.GetBucketAsync(bucket, http.RequestAborted);
        var (quiet, keys) = S3RequestBodies.ReadDelete(await S3RequestBodies.LoadAsync(http.Request.Body, http.RequestAborted));
        var deleted = new List<string>();
        var failed = new List<(string Key, string Code, string Message)>();
        foreach (var key in keys)
        {
            try
            {
                await store.DeleteAsync(bucket, key, http.RequestAborted);
                deleted.Add(key);
            }
            catch (ObjectStoreException e)
            {
                failed.Add((key, S3Xml.Describe(e.Error).Code, e.Message));
            }
        }

        await S3Xml.WriteAsync(http.Response, "DeleteResult", writer =>
        {
            foreach (var key in quiet ? [] : deleted)
            {
                writer.WriteStartElement("Deleted", S3Xml.Namespace);
                writer.Element("Key", key);
                writer.WriteEndElement();
            }

            foreach (var (key, code, message) in failed)
            {
                writer.WriteStartElement("Error", S3Xml.Namespace);
                writer.Element("Key", key);
                writer.Element("Code", code);
                writer.Element("Message", message);
                writer.WriteEndElement();
            }
        });
    }

    private static async Task PutObjectAsync(HttpContext http, ObjectStore store, string bucket, string key)
    {
        UnlimitedBody(http);
        var body = Body(http);
        var info = await store.PutAsync(bucket, key, body, ContentType(http), UserMetadata(http), Checks(http, body), http.RequestAborted);
        http.Response.Headers.ETag = info.ETag;
        S3Checksums.Write(http.Response, info.Checksum);
    }

    /// <summary>CopyObject; the copy gets the checksum the request asks for, else the source's algorithm, computed over the bytes.</summary>
    private static async Task CopyObjectAsync(HttpContext http, ObjectStore store, string bucket, string key)
    {
        var (sourceBucket, sourceKey) = CopySource(http);
        var replace = http.Request.Headers["x-amz-metadata-directive"] == "REPLACE";
        var algorithm = S3Checksums.RequestedAlgorithm(http.Request);
        if (sourceBucket == bucket && sourceKey == key && !replace && algorithm is null)
        {
            throw new ObjectStoreException(ObjectError.InvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
        }

        var (info, content) = await store.GetAsync(sourceBucket, sourceKey, http.RequestAborted);
        ObjectInfo copied;
        await using (content)
        {
            var checks = ContentChecks.Compute(algorithm ?? info.Checksum?.Algorithm);
            copied = await store.PutAsync(bucket, key, content, replace ? ContentType(http) : info.ContentType, replace ? UserMetadata(http) : info.Metadata, checks, http.RequestAborted);
        }

        await S3Xml.WriteAsync(http.Response, "CopyObjectResult", writer =>
        {
            writer.Element("LastModified", S3Xml.Time(copied.LastModified));
            writer.Element("ETag", copied.ETag);
            WriteChecksum(writer, copied.Checksum);
        });
    }

    /// <summary>UploadPartCopy: a part from an object, whole or <c>x-amz-copy-source-range: bytes=first-last</c>.</summary>
    private static async Task CopyPartAsync(HttpContext http, ObjectStore store, string bucket, string key)
    {
        var number = PartNumber(http);
        var (sourceBucket, sourceKey) = CopySource(http);
        (long, long)? range = null;
        if (http.Request.Headers["x-amz-copy-source-range"].ToString() is { Length: > 0 } header)
        {
            var match = CopyRangePattern().Match(header);
            if (!match.Success || !long.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var first) || !long.TryParse(match.Groups[2].Value, CultureInfo.InvariantCulture, out var last))
            {
                throw new ObjectStoreException(ObjectError.InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy");
            }

            range = (first, last);
        }

        var part = await store.CopyPartAsync(bucket, key, http.Request.Query["uploadId"]!, number, sourceBucket, sourceKey, range, http.RequestAborted);
        await S3Xml.WriteAsync(http.Response, "CopyPartResult", writer =>
        {
            writer.Element("LastModified", S3Xml.Time(part.LastModified));
            writer.Element("ETag", part.ETag);
            WriteChecksum(writer, part.Checksum);
        });
    }

    private static (string Bucket, string Key) CopySource(HttpContext http)
    {
        var source = Uri.UnescapeDataString(http.Request.Headers["x-amz-copy-source"].ToString().Split('?')[0]).TrimStart('/');
        var slash = source.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && slash < source.Length - 1
            ? (source[..slash], source[(slash + 1)..])
            : throw new ObjectStoreException(ObjectError.InvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
    }

    private static void WriteChecksum(System.Xml.XmlWriter writer, ObjectChecksum? checksum)
    {
        if (checksum is not null)
        {
            writer.Element(S3Checksums.ElementName(checksum.Algorithm), checksum.Value);
        }
    }

    /// <summary>GetObject and HeadObject, with one byte range (<c>bytes=a-b</c>, <c>bytes=a-</c>, <c>bytes=-n</c>).</summary>
    private static async Task GetObjectAsync(HttpContext http, ObjectStore store, string bucket, string key)
    {
        var (info, content) = await store.GetAsync(bucket, key, http.RequestAborted);
        await using (content)
        {
            var headers = http.Response.Headers;
            headers.ETag = info.ETag;
            headers.LastModified = S3Xml.HttpTime(info.LastModified);
            headers.AcceptRanges = "bytes";
            http.Response.ContentType = info.ContentType;
            foreach (var (name, value) in info.Metadata)
            {
                headers["x-amz-meta-" + name] = value;
            }

            if (S3Checksums.Requested(http.Request))
            {
                S3Checksums.Write(http.Response, info.Checksum);
            }

            if (http.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } ifNoneMatch && (ifNoneMatch == info.ETag || ifNoneMatch == "*"))
            {
                http.Response.StatusCode = 304;
                return;
            }

            if (http.Request.Headers.IfMatch.ToString() is { Length: > 0 } ifMatch && ifMatch != info.ETag && ifMatch != "*")
            {
                await S3Xml.WriteErrorAsync(http, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
                return;
            }

            var (start, length) = (0L, info.Size);
            var range = http.Request.Headers.Range.ToString();
            if (range.Length > 0)
            {
                (start, length) = ParseRange(range, info.Size);
                http.Response.StatusCode = 206;
                headers.ContentRange = $"bytes {start}-{start + length - 1}/{info.Size}";
            }

            http.Response.ContentLength = length;
            if (HttpMethods.IsHead(http.Request.Method))
            {
                return;
            }

            content.Seek(start, SeekOrigin.Begin);
            var buffer = new byte[81920];
            var remaining = length;
            while (remaining > 0)
            {
                var read = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), http.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                await http.Response.Body.WriteAsync(buffer.AsMemory(0, read), http.RequestAborted);
                remaining -= read;
            }
        }
    }

    private static (long Start, long Length) ParseRange(string header, long size)
    {
        var spec = header.StartsWith("bytes=", StringComparison.Ordinal) ? header["bytes=".Length..] : null;
        var dash = spec?.IndexOf('-', StringComparison.Ordinal) ?? -1;
        if (spec is null || dash < 0 || spec.Contains(',', StringComparison.Ordinal))
        {
            // S3 ignores a range it cannot read and sends the whole object; Kiln refuses it instead of guessing.
            throw new ObjectStoreException(ObjectError.InvalidArgument, $"The Range header '{header}' is not a single byte range.");
        }

        var first = spec[..dash];
        var last = spec[(dash + 1)..];
        long start, end;
        if (first.Length == 0)
        {
            start = Math.Max(0, size - long.Parse(last, CultureInfo.InvariantCulture));
            end = size - 1;
        }
        else
        {
            start = long.Parse(first, CultureInfo.InvariantCulture);
            end = last.Length == 0 ? size - 1 : Math.Min(long.Parse(last, CultureInfo.InvariantCulture), size - 1);
        }

        if (start >= size || end < start)
        {
            throw new ObjectStoreException(ObjectError.InvalidRange, "The requested range is not satisfiable");
        }

        return (start, end - start + 1);
    }

    private static async Task DeleteObjectAsync(HttpContext http, ObjectStore store, string bucket, string key)
    {
        await store.DeleteAsync(bucket, key, http.RequestAborted);
        http.Response.StatusCode = 204;
    }

    private static async Task CreateUploadAsync(HttpContext http, ObjectStore store, string bucket, string key)
    {
        var algorithm = S3Checksums.RequestedAlgorithm(http.Request);
        var type = http.Request.Headers["x-amz-checksum-type"].ToString();
        if ((type.Length > 0 && !string.Equals(type, "COMPOSITE", StringComparison.OrdinalIgnoreCase)) || algorithm == ChecksumAlgorithm.Crc64Nvme)
        {
            await NotImplemented(http);
            return;
        }

        var upload = await store.CreateUploadAsync(bucket, key, ContentType(http), UserMetadata(http), algorithm, http.RequestAborted);
        if (algorithm is { } declared)
        {
            http.Response.Headers["x-amz-checksum-algorithm"] = ObjectChecksum.Name(declared);
            http.Response.Headers["x-amz-checksum-type"] = "COMPOSITE";
        }

        await S3Xml.WriteAsync(http.Response, "InitiateMultipartUploadResult", writer =>
        {
            writer.Element("Bucket", bucket);
            writer.Element("Key", key);
            writer.Element("UploadId", upload.UploadId);
        });
    }

    private static async Task UploadPartAsync(HttpContext http, ObjectStore store, string bucket, string key)
    {
        UnlimitedBody(http);
        var number = PartNumber(http);
        var body = Body(http);
        var part = await store.UploadPartAsync(bucket, key, http.Request.Query["uploadId"]!, number, body, Checks(http, body), http.RequestAborted);
        http.Response.Headers.ETag = part.ETag;
        if (part.Checksum is not null)
        {
            http.Response.Headers[S3Checksums.HeaderName(part.Checksum.Algorithm)] = part.Checksum.Value;
        }
    }

    private static int PartNumber(HttpContext http) =>
        int.TryParse(http.Request.Query["partNumber"], NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new ObjectStoreException(ObjectError.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive");

    private static async Task ListPartsAsync(HttpContext http, ObjectStore store, string bucket, string key)
    {
        var uploadId = http.Request.Query["uploadId"].ToString();
        var parts = await store.ListPartsAsync(bucket, key, uploadId, http.RequestAborted);
        await S3Xml.WriteAsync(http.Response, "ListPartsResult", writer =>
        {
            writer.Element("Bucket", bucket);
            writer.Element("Key", key);
            writer.Element("UploadId", uploadId);
            writer.Element("PartNumberMarker", "0");
            writer.Element("NextPartNumberMarker", parts.Count == 0 ? "0" : parts[^1].Number.ToString(CultureInfo.InvariantCulture));
            writer.Element("MaxParts", "1000");
            writer.Element("IsTruncated", "false");
            foreach (var part in parts)
            {
                writer.WriteStartElement("Part", S3Xml.Namespace);
                writer.Element("PartNumber", part.Number.ToString(CultureInfo.InvariantCulture));
                writer.Element("LastModified", S3Xml.Time(part.LastModified));
                writer.Element("ETag", part.ETag);
                writer.Element("Size", part.Size.ToString(CultureInfo.InvariantCulture));
                WriteChecksum(writer, part.Checksum);
                writer.WriteEndElement();
            }
        });
    }

    private static async Task CompleteUploadAsync(HttpContext http, ObjectStore store, string bucket, string key)
    {
        var parts = S3RequestBodies.ReadCompletedParts(await S3RequestBodies.LoadAsync(http.Request.Body, http.RequestAborted));
        var info = await store.CompleteUploadAsync(bucket, key, http.Request.Query["uploadId"]!, parts, http.RequestAborted);
        await S3Xml.WriteAsync(http.Response, "CompleteMultipartUploadResult", writer =>
        {
            writer.Element("Location", $"{http.Request.Scheme}://{http.Request.Host}/{bucket}/{key}");
            writer.Element("Bucket", bucket);
            writer.Element("Key", key);
            writer.Element("ETag", info.ETag);
            WriteChecksum(writer, info.Checksum);
            writer.Element("ChecksumType", info.Checksum is null ? null : "COMPOSITE");
        });
    }

    /// <summary>ListMultipartUploads: uploads in progress by key, then initiation; key-marker and upload-id-marker page.</summary>
    private static async Task ListUploadsAsync(HttpContext http, ObjectStore store, string bucket)
    {
        var query = http.Request.Query;
        var prefix = query["prefix"].ToString();
        var delimiter = query["delimiter"].ToString();
        var keyMarker = query["key-marker"].ToString();
        var uploadIdMarker = query["upload-id-marker"].ToString();
        var encode = query["encoding-type"] == "url";
        var maxUploads = 1000;
        if (query.TryGetValue("max-uploads", out var max) && (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out maxUploads) || maxUploads < 0))
        {
            throw new ObjectStoreException(ObjectError.InvalidArgument, "Argument max-uploads must be an integer between 0 and 2147483647");
        }

        maxUploads = Math.Min(maxUploads, 1000);
        await store.GetBucketAsync(bucket, http.RequestAborted);
        var listing = maxUploads == 0
            ? new UploadListing([], [], false, null, null)
            : await store.ListUploadsAsync(bucket, prefix, delimiter.Length == 0 ? null : delimiter, keyMarker, uploadIdMarker.Length == 0 ? null : uploadIdMarker, maxUploads, http.RequestAborted);
        string Shown(string value) => encode ? Uri.EscapeDataString(value).Replace("%2F", "/", StringComparison.Ordinal) : value;

        await S3Xml.WriteAsync(http.Response, "ListMultipartUploadsResult", writer =>
        {
            writer.Element("Bucket", bucket);
            writer.Element("KeyMarker", Shown(keyMarker));
            writer.Element("UploadIdMarker", uploadIdMarker);
            writer.Element("NextKeyMarker", listing.NextKeyMarker is null ? null : Shown(listing.NextKeyMarker));
            writer.Element("NextUploadIdMarker", listing.NextUploadIdMarker);
            writer.Element("Prefix", Shown(prefix));
            writer.Element("Delimiter", delimiter.Length > 0 ? Shown(delimiter) : null);
            writer.Element("MaxUploads", maxUploads.ToString(CultureInfo.InvariantCulture));
            writer.Element("EncodingType", encode ? "url" : null);
            writer.Element("IsTruncated", listing.IsTruncated ? "true" : "false");
            foreach (var upload in listing.Uploads)
            {
                writer.WriteStartElement("Upload", S3Xml.Namespace);
                writer.Element("Key", Shown(upload.Key));
                writer.Element("UploadId", upload.UploadId);
                foreach (var role in UploadRoles)
                {
                    writer.WriteStartElement(role, S3Xml.Namespace);
                    writer.Element("ID", "kiln");
                    writer.Element("DisplayName", "kiln");
                    writer.WriteEndElement();
                }

                writer.Element("StorageClass", "STANDARD");
                writer.Element("Initiated", S3Xml.Time(upload.Initiated));
                writer.Element("ChecksumAlgorithm", upload.ChecksumAlgorithm is { } algorithm ? ObjectChecksum.Name(algorithm) : null);
                writer.Element("ChecksumType", upload.ChecksumAlgorithm is null ? null : "COMPOSITE");
                writer.WriteEndElement();
            }

            foreach (var common in listing.CommonPrefixes)
            {
                writer.WriteStartElement("CommonPrefixes", S3Xml.Namespace);
                writer.Element("Prefix", Shown(common));
                writer.WriteEndElement();
            }
        });
    }

    private static async Task AbortUploadAsync(HttpContext http, ObjectStore store, string bucket, string key)
    {
        await store.AbortUploadAsync(bucket, key, http.Request.Query["uploadId"]!, http.RequestAborted);
        http.Response.StatusCode = 204;
    }

    private static Task NotAllowed(HttpContext http) =>
        S3Xml.WriteErrorAsync(http, "MethodNotAllowed", $"The specified method {http.Request.Method} is not allowed against this resource.", 405);

    private static Task NotImplemented(HttpContext http) =>
        S3Xml.WriteErrorAsync(http, "NotImplemented", "A header or query you provided implies functionality that Kiln's S3 endpoint does not implement.", 501);

    /// <summary>The request body, with aws-chunked framing (used by SDKs for streaming uploads) removed.</summary>
    private static Stream Body(HttpContext http)
    {
        var sha = http.Request.Headers["x-amz-content-sha256"].ToString();
        var encoding = http.Request.Headers.ContentEncoding.ToString();
        if (!sha.StartsWith("STREAMING-", StringComparison.Ordinal) && !encoding.Contains("aws-chunked", StringComparison.Ordinal))
        {
            return http.Request.Body;
        }

        var declared = http.Request.Headers["x-amz-decoded-content-length"].ToString();
        return new AwsChunkedStream(http.Request.Body, long.TryParse(declared, NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : null, http.Features.Get<Security.ChunkSignatures>());
    }

    /// <summary>What the client claims about the body, with the length it announced (the data's length for aws-chunked).</summary>
    private static ContentChecks Checks(HttpContext http, Stream body)
    {
        var declared = body is AwsChunkedStream chunked ? chunked.DecodedLength : http.Request.ContentLength;
        return S3Checksums.Read(http.Request, body) with { DeclaredLength = declared };
    }

    /// <summary>Kestrel's own body limit is lifted here; the object store bounds the data instead (EntityTooLarge).</summary>
    private static void UnlimitedBody(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
    }

    private static string? ContentType(HttpContext http) => http.Request.ContentType is { Length: > 0 } type ? type : null;

    private static Dictionary<string, string> UserMetadata(HttpContext http) =>
        http.Request.Headers
            .Where(header => header.Key.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(header => header.Key["x-amz-meta-".Length..].ToLowerInvariant(), header => header.Value.ToString());

    private static async Task WithAsync<T>(Task<T> task, Func<T, Task> then) => await then(await task);
}
