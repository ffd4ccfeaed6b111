using System.Net;
using System.Text;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Server;

namespace Kiln.Api.Tests.S3;

/// <summary>A Kiln server whose S3 uploads may carry at most 1 KiB, so S3's 5 GiB limit can be tested in kilobytes.</summary>
public sealed class SmallUploadLimitServer : KilnServerFixture
{
    public const int Limit = 1024;

    public SmallUploadLimitServer()
        : base(options => options with { MaxObjectUploadBytes = Limit })
    {
    }
}

/// <summary>Bounds on what a client sends: object sizes (EntityTooLarge, nothing kept) and Kestrel's header limits.</summary>
public sealed class S3LimitsTests(SmallUploadLimitServer server) : IClassFixture<SmallUploadLimitServer>
{
    private const int Limit = SmallUploadLimitServer.Limit;

    [Fact]
    public async Task An_object_at_the_limit_is_stored_and_one_byte_more_is_entity_too_large()
    {
        var bucket = await BucketAsync();
        using (var atLimit = await SendAsync(HttpMethod.Put, $"/{bucket}/k", new ByteArrayContent(new byte[Limit])))
        {
            Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        }

        using (var over = await SendAsync(HttpMethod.Put, $"/{bucket}/k", new ByteArrayContent(new byte[Limit + 1])))
        {
            await AssertErrorAsync(over, "EntityTooLarge");
        }

        using var head = await SendAsync(HttpMethod.Head, $"/{bucket}/k");
        Assert.Equal(Limit, head.Content.Headers.ContentLength);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_aws_chunked_body_past_the_limit_is_refused_whether_or_not_it_declares_its_length(bool declared)
    {
        var bucket = await BucketAsync();
        var chunk = new string('a', 700);
        var body = $"{chunk.Length:x}\r\n{chunk}\r\n{chunk.Length:x}\r\n{chunk}\r\n0\r\n\r\n";
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.ContentEncoding.Add("aws-chunked");
        var headers = new List<(string, string)> { ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER") };
        if (declared)
        {
            headers.Add(("x-amz-decoded-content-length", "1400"));
        }

        using (var response = await SendAsync(HttpMethod.Put, $"/{bucket}/k", content, [.. headers]))
        {
            await AssertErrorAsync(response, "EntityTooLarge");
        }

        using var head = await SendAsync(HttpMethod.Head, $"/{bucket}/k");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task A_part_past_the_limit_is_refused_and_not_listed()
    {
        var bucket = await BucketAsync();
        string uploadId;
        using (var create = await SendAsync(HttpMethod.Post, $"/{bucket}/big?uploads"))
        {
            var xml = System.Xml.Linq.XDocument.Parse(await create.Content.ReadAsStringAsync());
            uploadId = xml.Root!.Elements().Single(e => e.Name.LocalName == "UploadId").Value;
        }

        using (var part = await SendAsync(HttpMethod.Put, $"/{bucket}/big?partNumber=1&uploadId={uploadId}", new ByteArrayContent(new byte[Limit + 1])))
        {
            await AssertErrorAsync(part, "EntityTooLarge");
        }

        using var parts = await SendAsync(HttpMethod.Get, $"/{bucket}/big?uploadId={uploadId}");
        Assert.DoesNotContain("<Part>", await parts.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_headers_and_request_lines_are_refused_and_the_server_goes_on()
    {
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/health"))
        {
            request.Headers.TryAddWithoutValidation("x-flood", new string('a', 40 * 1024));
            using var flooded = await server.Mlflow.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, flooded.StatusCode);
        }

        using (var longLine = await server.Mlflow.Http.GetAsync("/health?" + new string('q', 20 * 1024)))
        {
            Assert.Equal(HttpStatusCode.RequestUriTooLong, longLine.StatusCode);
        }

        using var health = await server.Mlflow.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private async Task<string> BucketAsync()
    {
        var bucket = "limits-" + Guid.NewGuid().ToString("N")[..12];
        using var response = await SendAsync(HttpMethod.Put, "/" + bucket);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return bucket;
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

    private static async Task AssertErrorAsync(HttpResponseMessage response, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"<Code>{code}</Code>", body, StringComparison.Ordinal);
    }
}
