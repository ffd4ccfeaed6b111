using System.Net;
using System.Text;
using Kiln.Server;
using Microsoft.AspNetCore.Builder;

namespace Kiln.Fuzz.Tests.Infrastructure;

/// <summary>
/// A real Kiln server (Kestrel on a free loopback port, SQLite and files in a temp folder), with a client whose
/// every answer must come within <see cref="AnswerTimeout"/> and must not be a 5xx.
/// </summary>
public sealed class FuzzServer : IAsyncLifetime
{
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(15);

    private WebApplication? _app;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "kiln-fuzz", Guid.NewGuid().ToString("N"));

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = await KilnServer.StartAsync(new KilnServerOptions { Port = 0, DataDirectory = DataDirectory });
        Http = new HttpClient { BaseAddress = new Uri(_app.Addresses()[0] + "/"), Timeout = AnswerTimeout };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Sends a request; fails on a 5xx or when no answer comes in time. Returns the status and body.</summary>
    public (HttpStatusCode Status, string Body) Send(HttpRequestMessage request)
    {
        var what = $"{request.Method} {request.RequestUri}";
        using var cancel = new CancellationTokenSource(AnswerTimeout);
        HttpResponseMessage response;
        try
        {
            response = Http.SendAsync(request, cancel.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{what} got no answer within {AnswerTimeout.TotalSeconds} s.");
        }

        using (response)
        {
            var body = response.Content.ReadAsStringAsync(cancel.Token).GetAwaiter().GetResult();
            if ((int)response.StatusCode >= 500)
            {
                throw new InvalidOperationException($"{what} answered {(int)response.StatusCode}: {body}");
            }

            return (response.StatusCode, body);
        }
    }

    public (HttpStatusCode Status, string Body) Mlflow(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, "api/2.0/mlflow/" + path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return Send(request);
    }

    public (HttpStatusCode Status, string Body) SageMaker(string operation, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/x-amz-json-1.1"),
        };
        request.Headers.Add("X-Amz-Target", "SageMaker." + operation);
        return Send(request);
    }

    /// <summary>An S3 request: signed for the s3 service as SDKs sign it (signatures are not verified).</summary>
    public (HttpStatusCode Status, string Body) S3(HttpMethod method, string target, HttpContent? content = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, target) { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0");
        request.Headers.TryAddWithoutValidation("x-amz-date", "20261124T000000Z");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return Send(request);
    }

    /// <summary>The server still answers: /health is 200.</summary>
    public void AssertHealthy()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "health");
        Assert.Equal(HttpStatusCode.OK, Send(request).Status);
    }
}
