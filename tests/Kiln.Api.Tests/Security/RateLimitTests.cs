using System.Net;
using System.Text;
using System.Text.Json;
using Kiln.Server;
using Microsoft.AspNetCore.Builder;

namespace Kiln.Api.Tests.Security;

/// <summary><c>--rate-limit</c>: past the rate, each dialect answers with its own throttling error; health is never limited.</summary>
public sealed class RateLimitTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "kiln-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Each_dialect_gets_its_throttling_error_over_the_rate()
    {
        await using var app = await KilnServer.StartAsync(new KilnServerOptions { Port = 0, DataDirectory = _dataDirectory, RateLimit = 2 });
        using var http = new HttpClient { BaseAddress = new Uri(app.Addresses()[0] + "/") };

        var mlflow = await BurstAsync(() => new HttpRequestMessage(HttpMethod.Get, "api/2.0/mlflow/experiments/search?max_results=1"));
        Assert.Contains(mlflow, r => r.Status == HttpStatusCode.OK);
        var throttled = Assert.Single(mlflow.Where(r => r.Status != HttpStatusCode.OK).Select(r => r.Body).Distinct());
        Assert.Equal("REQUEST_LIMIT_EXCEEDED", JsonDocument.Parse(throttled).RootElement.GetProperty("error_code").GetString());
        Assert.Contains(mlflow, r => (int)r.Status == 429);

        var sageMaker = await BurstAsync(() => new HttpRequestMessage(HttpMethod.Post, "/")
        {
            Headers = { { "X-Amz-Target", "SageMaker.ListModels" } },
            Content = new StringContent("{}", Encoding.UTF8, "application/x-amz-json-1.1"),
        });
        Assert.Contains(sageMaker, r => r.Status == HttpStatusCode.BadRequest && r.Body.Contains("\"ThrottlingException\"", StringComparison.Ordinal));

        var s3 = await BurstAsync(() => new HttpRequestMessage(HttpMethod.Get, "/")
        {
            Headers = { { "Authorization", "AWS4-HMAC-SHA256 Credential=AKIATEST/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0" } },
        });
        Assert.Contains(s3, r => r.Status == HttpStatusCode.ServiceUnavailable && r.Body.Contains("<Code>SlowDown</Code>", StringComparison.Ordinal));

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);
        }

        // The bucket refills: after a second the caller gets through again.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/2.0/mlflow/experiments/search?max_results=1")).StatusCode);

        async Task<List<(HttpStatusCode Status, string Body)>> BurstAsync(Func<HttpRequestMessage> request) =>
            [.. await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
            {
                using var message = request();
                using var response = await http.SendAsync(message);
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }))];
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
