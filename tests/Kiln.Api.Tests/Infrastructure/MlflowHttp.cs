using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Kiln.Api.Tests.Infrastructure;

/// <summary>Raw HTTP calls to the MLflow REST API, returning the status and parsed JSON body.</summary>
public sealed class MlflowHttp(Uri baseAddress) : IDisposable
{
    public HttpClient Http { get; } = new() { BaseAddress = baseAddress };

    public Task<ApiResponse> PostAsync(string path, object body) =>
        SendAsync(HttpMethod.Post, path, JsonContent.Create(body));

    public Task<ApiResponse> PostRawAsync(string path, string body, string contentType = "application/json") =>
        SendAsync(HttpMethod.Post, path, new StringContent(body, Encoding.UTF8, contentType));

    public Task<ApiResponse> PatchAsync(string path, object body) =>
        SendAsync(HttpMethod.Patch, path, JsonContent.Create(body));

    public Task<ApiResponse> DeleteAsync(string path, object body) =>
        SendAsync(HttpMethod.Delete, path, JsonContent.Create(body));

    public Task<ApiResponse> GetAsync(string path, params (string Key, string Value)[] query)
    {
        var url = path + (query.Length == 0 ? "" : "?" + string.Join("&", query.Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value)}")));
        return SendAsync(HttpMethod.Get, url, null);
    }

    /// <summary>Calls a path under /api/2.0/mlflow/ and asserts success.</summary>
    public async Task<JsonElement> OkAsync(Task<ApiResponse> call)
    {
        var response = await call;
        Assert.True(response.Status == HttpStatusCode.OK, $"expected 200, got {(int)response.Status}: {response.Text}");
        return response.Json;
    }

    public async Task<string> CreateExperimentAsync(string? name = null) =>
        (await OkAsync(PostAsync("experiments/create", new { name = name ?? "exp-" + Guid.NewGuid().ToString("N")[..8] })))
            .GetProperty("experiment_id").GetString()!;

    public async Task<string> CreateRunAsync(string experimentId, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["experiment_id"] = experimentId, ["start_time"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        if (extra is not null)
        {
            foreach (var property in extra.GetType().GetProperties())
            {
                body[property.Name] = property.GetValue(extra);
            }
        }

        return (await OkAsync(PostAsync("runs/create", body))).GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
    }

    public void Dispose() => Http.Dispose();

    private async Task<ApiResponse> SendAsync(HttpMethod method, string path, HttpContent? content)
    {
        var url = path.StartsWith('/') ? path[1..] : path.StartsWith("api/", StringComparison.Ordinal) || path.StartsWith("health", StringComparison.Ordinal) ? path : "api/2.0/mlflow/" + path;
        using var request = new HttpRequestMessage(method, url) { Content = content };
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = default(JsonElement);
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            json = JsonDocument.Parse(text).RootElement.Clone();
        }

        return new ApiResponse(response.StatusCode, text, json);
    }
}

public sealed record ApiResponse(HttpStatusCode Status, string Text, JsonElement Json)
{
    public string? ErrorCode => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("error_code", out var code) ? code.GetString() : null;

    public string? Message => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("message", out var message) ? message.GetString() : null;

    /// <summary>Asserts MLflow's error shape: this status, this error_code, a message containing <paramref name="messagePart"/>.</summary>
    public void AssertError(HttpStatusCode status, string errorCode, string? messagePart = null)
    {
        Assert.True(Status == status, $"expected {(int)status} {errorCode}, got {(int)Status}: {Text}");
        Assert.Equal(errorCode, ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(Message));
        if (messagePart is not null)
        {
            Assert.Contains(messagePart, Message, StringComparison.Ordinal);
        }
    }
}
