using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kiln.Core.Security;

namespace Kiln.Api.Tests.Security.Permissions;

/// <summary>Raw MLflow REST calls as one user (HTTP basic with the user's secret).</summary>
internal sealed class MlflowClient(Uri baseAddress, string name, string secret)
{
    private static readonly HttpClient Http = new();

    public MlflowClient(Uri baseAddress, UserCredentials user)
        : this(baseAddress, user.User.Name, user.SecretAccessKey)
    {
    }

    public string Name => name;

    public async Task<(HttpStatusCode Status, JsonElement Body)> CallAsync(string method, string path, object? body = null)
    {
        var get = method == "GET";
        var query = get && body is not null
            ? "?" + string.Join("&", JsonSerializer.SerializeToElement(body).EnumerateObject().Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value.ToString())}"))
            : "";
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(baseAddress, "api/2.0/mlflow/" + path + query));
        if (!get && body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(name + ":" + secret)));
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Any request to the server (the artifact proxy), as this user.</summary>
    public async Task<HttpStatusCode> SendAsync(string method, string relativeUrl, string? content = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(baseAddress, relativeUrl));
        if (content is not null)
        {
            request.Content = new StringContent(content, Encoding.UTF8, "text/plain");
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(name + ":" + secret)));
        using var response = await Http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>The call's body; fails the test unless it answered 200.</summary>
    public async Task<JsonElement> OkAsync(string method, string path, object? body = null)
    {
        var (status, json) = await CallAsync(method, path, body);
        Assert.True(status == HttpStatusCode.OK, $"{name}: {method} {path} answered {(int)status} {json}");
        return json;
    }

    /// <summary>Asserts MLflow's error: the status and <c>error_code</c>.</summary>
    public async Task FailsAsync(HttpStatusCode expected, string errorCode, string method, string path, object? body = null)
    {
        var (status, json) = await CallAsync(method, path, body);
        Assert.True(status == expected, $"{name}: {method} {path} answered {(int)status} {json}, expected {(int)expected}");
        Assert.Equal(errorCode, json.GetProperty("error_code").GetString());
    }
}
