using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Server;

namespace Kiln.Api.Tests.Security;

/// <summary>A server with <c>--auth</c>: every dialect's clients get in with a user's key and get their service's error without one.</summary>
public sealed class AuthTests(AuthServerFixture server) : IClassFixture<AuthServerFixture>
{
    [Theory]
    [InlineData("test_right_key_works")]
    [InlineData("test_body_changed_after_signing_is_refused")]
    [InlineData("test_wrong_secret")]
    [InlineData("test_unknown_key")]
    [InlineData("test_skewed_clock")]
    [InlineData("test_no_credentials")]
    [InlineData("test_signed_chunks")]
    public Task Boto3(string test) =>
        Infrastructure.Boto3.RunAsync(server.BaseAddress, "auth.py", test, null, server.Reader.User.AccessKeyId, server.Reader.SecretAccessKey);

    [Fact]
    public async Task Mlflow_needs_basic_or_bearer_credentials()
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        foreach (var path in new[] { "api/2.0/mlflow/experiments/search?max_results=5", "ajax-api/2.0/mlflow/experiments/search?max_results=5", "api/2.0/mlflow-artifacts/artifacts" })
        {
            using var anonymous = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Basic", anonymous.Headers.WwwAuthenticate.Single().Scheme);
            var error = JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("UNAUTHENTICATED", error.GetProperty("error_code").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, "api/2.0/mlflow/experiments/search?max_results=5", Basic(server.Reader.User.Name, server.Reader.SecretAccessKey))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, "ajax-api/2.0/mlflow/experiments/search?max_results=5", new AuthenticationHeaderValue("Bearer", server.Admin.SecretAccessKey))).StatusCode);

        var wrong = new[]
        {
            Basic(server.Reader.User.Name, server.Admin.SecretAccessKey),
            Basic("nobody", server.Reader.SecretAccessKey),
            Basic(server.Reader.User.Name, ""),
            new AuthenticationHeaderValue("Basic", "not base64!"),
            new AuthenticationHeaderValue("Bearer", server.Reader.SecretAccessKey + "x"),
            new AuthenticationHeaderValue("Bearer", server.Reader.User.AccessKeyId),
        };
        foreach (var credentials in wrong)
        {
            using var refused = await SendAsync(http, "api/2.0/mlflow/experiments/search?max_results=5", credentials);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("UNAUTHENTICATED", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error_code").GetString());
        }

        // A write goes through with credentials and is refused (nothing created) without.
        using var create = new HttpRequestMessage(HttpMethod.Post, "api/2.0/mlflow/experiments/create") { Content = new StringContent("{\"name\":\"auth-exp\"}", Encoding.UTF8, "application/json") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(create)).StatusCode);
        using var created = await SendAsync(http, "api/2.0/mlflow/experiments/create", Basic(server.Admin.User.Name, server.Admin.SecretAccessKey), "{\"name\":\"auth-exp\"}");
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        using var again = await SendAsync(http, "api/2.0/mlflow/experiments/get-by-name?experiment_name=auth-exp", Basic(server.Reader.User.Name, server.Reader.SecretAccessKey));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Studio_asks_a_script_for_basic_credentials_and_health_stays_open()
    {
        // A browser's page request goes to the login form instead (StudioLoginTests).
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var page = new HttpRequestMessage(HttpMethod.Get, "jobs");
        using var anonymous = await http.SendAsync(page);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Basic", anonymous.Headers.WwwAuthenticate.Single().Scheme);

        using var signedIn = await SendAsync(http, "jobs", Basic(server.Reader.User.Name, server.Reader.SecretAccessKey));
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Contains("<html", await signedIn.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);
    }

    [Theory]
    [InlineData("Credential={0}/20261207/us-east-1/sagemaker/aws4_requesx, SignedHeaders=host;x-amz-date, Signature={1}")]
    [InlineData("Credential={0}/20261207/us-east-1/sagemaker/aws4_request/x, SignedHeaders=host;x-amz-date, Signature={1}")]
    [InlineData("Credential={0}/20261207//sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature={1}")]
    [InlineData("Credential={0}/20261207/us-east-1//aws4_request, SignedHeaders=host;x-amz-date, Signature={1}")]
    [InlineData("Credential={0}/2026127/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature={1}")]
    [InlineData("Credential={0}/20261207/us-east-1/sagemaker, SignedHeaders=host;x-amz-date, Signature={1}")]
    [InlineData("Credential=/20261207/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature={1}")]
    [InlineData("Credential={0}, SignedHeaders=host;x-amz-date, Signature={1}")]
    [InlineData("Credential={0}/20261207/us-east-1/sagemaker/aws4_request, SignedHeaders=x-amz-date, Signature={1}")]
    [InlineData("Credential={0}/20261207/us-east-1/sagemaker/aws4_request, SignedHeaders=Host;x-amz-date, Signature={1}")]
    [InlineData("Credential={0}/20261207/us-east-1/sagemaker/aws4_request, SignedHeaders=host;;x-amz-date, Signature={1}")]
    [InlineData("Credential={0}/20261207/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")]
    [InlineData("Credential={0}/20261207/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date")]
    public async Task A_malformed_signature_header_is_refused_in_each_dialect(string parameters)
    {
        var header = "AWS4-HMAC-SHA256 " + string.Format(System.Globalization.CultureInfo.InvariantCulture, parameters, server.Reader.User.AccessKeyId, new string('a', 64));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        using var json = new HttpRequestMessage(HttpMethod.Post, "endpoints/none/invocations") { Content = new StringContent("1,2", Encoding.UTF8, "text/csv") };
        json.Headers.TryAddWithoutValidation("Authorization", header);
        json.Headers.Add("X-Amz-Date", "20261207T120000Z");
        using var jsonAnswer = await http.SendAsync(json);
        Assert.Equal(HttpStatusCode.BadRequest, jsonAnswer.StatusCode);
        Assert.Equal("IncompleteSignatureException", jsonAnswer.Headers.GetValues("x-amzn-ErrorType").Single());

        // One port serves every dialect: a malformed header is taken for S3's when its scope names s3 whole.
        var s3Header = header.Replace("/sagemaker/", "/s3/", StringComparison.Ordinal);
        if (!s3Header.Contains("/s3/aws4_request", StringComparison.Ordinal))
        {
            return;
        }

        using var s3 = new HttpRequestMessage(HttpMethod.Get, "some-bucket/some-key");
        s3.Headers.TryAddWithoutValidation("Authorization", s3Header);
        s3.Headers.Add("X-Amz-Date", "20261207T120000Z");
        s3.Headers.Add("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
        using var s3Answer = await http.SendAsync(s3);
        Assert.Equal(HttpStatusCode.BadRequest, s3Answer.StatusCode);
        Assert.Contains("<Code>AuthorizationHeaderMalformed</Code>", await s3Answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_loopback_address_needs_auth_or_an_explicit_opt_out()
    {
        var open = new KilnServerOptions { Host = "0.0.0.0" };
        var error = Assert.Throws<ArgumentException>(open.Validate);
        Assert.Contains("--auth", error.Message, StringComparison.Ordinal);
        Assert.Contains("--insecure-no-auth", error.Message, StringComparison.Ordinal);
        (open with { Auth = true }).Validate();
        (open with { InsecureNoAuth = true }).Validate();
        foreach (var loopback in new[] { "127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2" })
        {
            new KilnServerOptions { Host = loopback }.Validate();
        }

        foreach (var remote in new[] { "0.0.0.0", "*", "+", "::", "192.168.1.5", "example.com" })
        {
            Assert.Throws<ArgumentException>(new KilnServerOptions { Host = remote }.Validate);
        }
    }

    [Fact]
    public void With_auth_and_no_allowed_roots_no_file_uri_is_allowed()
    {
        var options = new KilnServerOptions { Auth = true, DataDirectory = Path.GetTempPath() };
        Assert.False(options.FileRoots.AllowsAll);
        Assert.Empty(options.FileRoots.Roots);
        Assert.True(new KilnServerOptions().FileRoots.AllowsAll);
    }

    private static AuthenticationHeaderValue Basic(string name, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(name + ":" + secret)));

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, AuthenticationHeaderValue credentials, string? json = null)
    {
        using var request = new HttpRequestMessage(json is null ? HttpMethod.Get : HttpMethod.Post, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = credentials;
        return await http.SendAsync(request);
    }
}
