using System.Net;
using System.Text;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.S3;

/// <summary>
/// Checksums in the forms boto3 only sends over HTTPS (aws-chunked bodies with trailing checksums), the CRC32C and
/// CRC64NVME that botocore needs awscrt for, and malformed framing, as raw HTTP. Expected values are the
/// algorithms' published check values for "123456789", not Kiln's own computation.
/// </summary>
public sealed class S3ChecksumFramingTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private const string Data = "123456789";
    private const string Crc32 = "y/Q5Jg==";      // 0xCBF43926
    private const string Crc32C = "4waSgw==";     // 0xE3069283
    private const string Crc64Nvme = "rosUhgp5mIg="; // 0xAE8B14860A799888
    private const string Wrong = "AAAAAA==";

    [Theory]
    [InlineData("crc32", Crc32)]
    [InlineData("crc32c", Crc32C)]
    public async Task A_trailing_checksum_is_verified_and_a_wrong_one_stores_nothing(string algorithm, string value)
    {
        var bucket = await BucketAsync();
        using (var plain = await SendAsync(HttpMethod.Put, $"/{bucket}/k", new ByteArrayContent("previous"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        }

        using (var right = await PutChunkedAsync($"/{bucket}/k", ["1234", "56789"], $"x-amz-checksum-{algorithm}", $"x-amz-checksum-{algorithm}:{value}"))
        {
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
            Assert.Equal(value, Header(right, $"x-amz-checksum-{algorithm}"));
        }

        using (var wrong = await PutChunkedAsync($"/{bucket}/k", ["other"], $"x-amz-checksum-{algorithm}", $"x-amz-checksum-{algorithm}:{Wrong}"))
        {
            await AssertErrorAsync(wrong, HttpStatusCode.BadRequest, "BadDigest", "you specified did not match the calculated checksum");
        }

        using (var wrongNew = await PutChunkedAsync($"/{bucket}/fresh", ["other"], $"x-amz-checksum-{algorithm}", $"x-amz-checksum-{algorithm}:{Wrong}"))
        {
            await AssertErrorAsync(wrongNew, HttpStatusCode.BadRequest, "BadDigest", "did not match");
        }

        using var get = await SendAsync(HttpMethod.Get, $"/{bucket}/k", headers: ("x-amz-checksum-mode", "ENABLED"));
        Assert.Equal(Data, await get.Content.ReadAsStringAsync());
        Assert.Equal(value, Header(get, $"x-amz-checksum-{algorithm}"));
        using var missing = await SendAsync(HttpMethod.Head, $"/{bucket}/fresh");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("crc32c", Crc32C)]
    [InlineData("crc64nvme", Crc64Nvme)]
    [InlineData("crc32", Crc32)]
    public async Task Header_checksums_match_the_published_check_values(string algorithm, string value)
    {
        var bucket = await BucketAsync();
        using (var put = await SendAsync(HttpMethod.Put, $"/{bucket}/k", new StringContent(Data), ($"x-amz-checksum-{algorithm}", value)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using (var head = await SendAsync(HttpMethod.Head, $"/{bucket}/k", headers: ("x-amz-checksum-mode", "ENABLED")))
        {
            Assert.Equal(value, Header(head, $"x-amz-checksum-{algorithm}"));
            Assert.Equal("FULL_OBJECT", Header(head, "x-amz-checksum-type"));
        }

        using (var ranged = await SendAsync(HttpMethod.Get, $"/{bucket}/k", headers: [("x-amz-checksum-mode", "ENABLED"), ("Range", "bytes=0-3")]))
        {
            // A part of the object does not have the object's checksum.
            Assert.Null(Header(ranged, $"x-amz-checksum-{algorithm}"));
        }

        using var wrong = await SendAsync(HttpMethod.Put, $"/{bucket}/k", new StringContent("12345678"), ($"x-amz-checksum-{algorithm}", value));
        await AssertErrorAsync(wrong, HttpStatusCode.BadRequest, "BadDigest", "did not match the calculated checksum");
    }

    [Fact]
    public async Task Malformed_checksum_claims_are_refused()
    {
        var bucket = await BucketAsync();
        using (var two = await SendAsync(HttpMethod.Put, $"/{bucket}/k", new StringContent(Data), ("x-amz-checksum-crc32", Crc32), ("x-amz-checksum-crc32c", Crc32C)))
        {
            await AssertErrorAsync(two, HttpStatusCode.BadRequest, "InvalidRequest", "Multiple checksum Types");
        }

        using (var shortValue = await SendAsync(HttpMethod.Put, $"/{bucket}/k", new StringContent(Data), ("x-amz-checksum-sha256", Crc32)))
        {
            await AssertErrorAsync(shortValue, HttpStatusCode.BadRequest, "InvalidRequest", "x-amz-checksum-sha256");
        }

        using (var noTrailer = await PutChunkedAsync($"/{bucket}/k", [Data], "x-amz-checksum-crc32", null))
        {
            await AssertErrorAsync(noTrailer, HttpStatusCode.BadRequest, "InvalidRequest", "no such trailer");
        }

        using (var unknownTrailer = await PutChunkedAsync($"/{bucket}/k", [Data], "x-amz-checksum-md5", "x-amz-checksum-md5:abc"))
        {
            await AssertErrorAsync(unknownTrailer, HttpStatusCode.BadRequest, "InvalidRequest", "x-amz-trailer");
        }

        using var head = await SendAsync(HttpMethod.Head, $"/{bucket}/k");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Theory]
    [InlineData("long-header")]
    [InlineData("long-trailer")]
    [InlineData("negative-size")]
    [InlineData("not-hex")]
    [InlineData("chunk-longer-than-declared")]
    [InlineData("ends-inside-chunk")]
    [InlineData("decoded-length-differs")]
    [InlineData("chunk-past-decoded-length")]
    [InlineData("no-final-chunk")]
    public async Task Broken_aws_chunked_framing_is_a_400_and_stores_nothing(string broken)
    {
        var bucket = await BucketAsync();
        var body = broken switch
        {
            "long-header" => "4;" + new string('a', 100_000) + "\r\n1234\r\n0\r\n\r\n",
            "long-trailer" => "4\r\n1234\r\n0\r\nx-amz-checksum-crc32:" + new string('A', 100_000) + "\r\n\r\n",
            "negative-size" => "FFFFFFFFFFFFFFFF\r\n1234\r\n0\r\n\r\n",
            "not-hex" => "zz\r\n1234\r\n0\r\n\r\n",
            "chunk-longer-than-declared" => "2\r\n1234\r\n0\r\n\r\n",
            "decoded-length-differs" => "4\r\n1234\r\n0\r\n\r\n",
            "chunk-past-decoded-length" => "7FFFFFFF\r\n1234",
            "no-final-chunk" => "4\r\n1234\r\n",
            _ => "10\r\n1234",
        };
        using var response = await SendChunkedAsync($"/{bucket}/k", body, trailer: broken == "long-trailer" ? "x-amz-checksum-crc32" : null, decodedLength: broken switch { "decoded-length-differs" => "5", "chunk-past-decoded-length" => "4", _ => null });
        var error = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("<Code>IncompleteBody</Code>", error, StringComparison.Ordinal);
        if (broken == "chunk-past-decoded-length")
        {
            // Refused on the chunk's header, not after reading up to the chunk's claimed size.
            Assert.Contains("goes past x-amz-decoded-content-length", error, StringComparison.Ordinal);
        }

        using (var head = await SendAsync(HttpMethod.Head, $"/{bucket}/k"))
        {
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        }

        // The server goes on serving: a well-framed upload right after is stored.
        using var good = await PutChunkedAsync($"/{bucket}/k", ["1234", "56789"], "x-amz-checksum-crc32", $"x-amz-checksum-crc32:{Crc32}");
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    public async Task List_multipart_uploads_refuses_a_bad_max_uploads(string max)
    {
        var bucket = await BucketAsync();
        using var response = await SendAsync(HttpMethod.Get, $"/{bucket}?uploads&max-uploads={max}");
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "InvalidArgument", "max-uploads");
    }

    [Fact]
    public async Task List_multipart_uploads_is_s3_xml()
    {
        var bucket = await BucketAsync();
        using (var create = await SendAsync(HttpMethod.Post, $"/{bucket}/data/model.bin?uploads", headers: ("x-amz-checksum-algorithm", "CRC32")))
        {
            Assert.Equal(HttpStatusCode.OK, create.StatusCode);
            Assert.Equal("CRC32", Header(create, "x-amz-checksum-algorithm"));
        }

        using var list = await SendAsync(HttpMethod.Get, $"/{bucket}?uploads");
        var xml = System.Xml.Linq.XDocument.Parse(await list.Content.ReadAsStringAsync());
        System.Xml.Linq.XNamespace ns = "http://s3.amazonaws.com/doc/2006-03-01/";
        Assert.Equal("ListMultipartUploadsResult", xml.Root!.Name.LocalName);
        var upload = Assert.Single(xml.Root.Elements(ns + "Upload"));
        Assert.Equal("data/model.bin", upload.Element(ns + "Key")!.Value);
        Assert.Equal("CRC32", upload.Element(ns + "ChecksumAlgorithm")!.Value);
        Assert.NotNull(upload.Element(ns + "Initiated"));
        Assert.Equal("false", xml.Root.Element(ns + "IsTruncated")!.Value);
    }

    private async Task<string> BucketAsync()
    {
        var bucket = "sums-" + Guid.NewGuid().ToString("N")[..12];
        using var response = await SendAsync(HttpMethod.Put, "/" + bucket);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return bucket;
    }

    private Task<HttpResponseMessage> PutChunkedAsync(string path, string[] chunks, string trailerName, string? trailer)
    {
        var body = new StringBuilder();
        foreach (var chunk in chunks)
        {
            body.Append($"{chunk.Length:x}\r\n{chunk}\r\n");
        }

        body.Append("0\r\n");
        if (trailer is not null)
        {
            body.Append(trailer).Append("\r\n");
        }

        body.Append("\r\n");
        return SendChunkedAsync(path, body.ToString(), trailerName, chunks.Sum(chunk => chunk.Length).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private Task<HttpResponseMessage> SendChunkedAsync(string path, string body, string? trailer, string? decodedLength = null)
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.ContentEncoding.Add("aws-chunked");
        var headers = new List<(string, string)> { ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER") };
        if (trailer is not null)
        {
            headers.Add(("x-amz-trailer", trailer));
        }

        if (decodedLength is not null)
        {
            headers.Add(("x-amz-decoded-content-length", decodedLength));
        }

        return SendAsync(HttpMethod.Put, path, content, [.. headers]);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0");
        foreach (var (name, value) in headers)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value), name);
        }

        return await server.Mlflow.Http.SendAsync(request);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code, string message)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(status, response.StatusCode);
        Assert.Contains($"<Code>{code}</Code>", body, StringComparison.Ordinal);
        Assert.Contains(message, body, StringComparison.Ordinal);
    }
}
