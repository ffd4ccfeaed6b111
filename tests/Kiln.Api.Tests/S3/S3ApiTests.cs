using System.Net;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.S3;

/// <summary>The S3-compatible endpoint, through boto3, on the same base URL as the MLflow API.</summary>
public sealed class S3ApiTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_buckets")]
    [InlineData("test_objects_metadata_ranges_and_errors")]
    [InlineData("test_multipart_upload_and_download_match")]
    [InlineData("test_multipart_errors")]
    [InlineData("test_listing_prefixes_delimiters_and_pages")]
    [InlineData("test_keys_that_escape_are_refused")]
    [InlineData("test_managed_copy_and_download_are_byte_equal")]
    [InlineData("test_upload_part_copy_ranges_and_errors")]
    [InlineData("test_list_multipart_uploads_and_pages")]
    [InlineData("test_checksums_are_verified_and_stored")]
    [InlineData("test_multipart_checksums_compose")]
    [InlineData("test_each_checksum_algorithm_boto3_computes_is_verified")]
    [InlineData("test_multipart_with_each_checksum_algorithm")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "s3_roundtrip.py", test);

    [Fact]
    public async Task Nothing_is_written_outside_the_object_folder()
    {
        await Infrastructure.Boto3.RunAsync(server.BaseAddress, "s3_roundtrip.py", "test_keys_that_escape_are_refused");
        var data = new DirectoryInfo(server.DataDirectory);
        Assert.Empty(data.EnumerateFiles("escape.txt", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(data.Parent!.FullName, "escape.txt")));
    }

    [Fact]
    public async Task Errors_are_s3_xml_and_the_mlflow_api_is_unaffected()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/no-such-bucket/key");
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0");
        using var response = await server.Mlflow.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("<Code>NoSuchBucket</Code>", body, StringComparison.Ordinal);
        Assert.Contains("<RequestId>", body, StringComparison.Ordinal);

        // The same base URL still speaks MLflow to unsigned requests.
        var experiment = await server.Mlflow.OkAsync(server.Mlflow.GetAsync("experiments/get", ("experiment_id", "0")));
        Assert.Equal("Default", experiment.GetProperty("experiment").GetProperty("name").GetString());
    }
}
