using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kiln.Studio.Tests.Infrastructure;

/// <summary>SageMaker's JSON protocol (POST / with X-Amz-Target) and runtime invocations against the fixture's server.</summary>
public static class SageMakerCalls
{
    public const string Role = "arn:aws:iam::123456789012:role/KilnStudioTests";

    public static async Task<JsonObject> CallAsync(this StudioFixture studio, string operation, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "")
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/x-amz-json-1.1"),
        };
        request.Headers.Add("X-Amz-Target", "SageMaker." + operation);
        using var response = await studio.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{operation} failed ({(int)response.StatusCode}): {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Polls a Describe operation until its status leaves the given in-progress values (three minutes at most).</summary>
    public static async Task<JsonObject> WaitAsync(this StudioFixture studio, string operation, object body, string statusMember, params string[] inProgress)
    {
        var deadline = Environment.TickCount64 + 180_000;
        while (true)
        {
            var described = await studio.CallAsync(operation, body);
            if (!inProgress.Contains(described[statusMember]!.GetValue<string>()) || Environment.TickCount64 > deadline)
            {
                return described;
            }

            await Task.Delay(200);
        }
    }

    /// <summary>One invocation with a CSV row, optionally at one variant; returns the HTTP status.</summary>
    public static async Task<HttpStatusCode> InvokeAsync(this StudioFixture studio, string endpoint, string csv, string? variant = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"endpoints/{endpoint}/invocations")
        {
            Content = new StringContent(csv, Encoding.UTF8, "text/csv"),
        };
        if (variant is not null)
        {
            request.Headers.Add("X-Amzn-SageMaker-Target-Variant", variant);
        }

        using var response = await studio.Http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>A file of the repository (samples/data/...), found from the test's output folder.</summary>
    public static string RepositoryFile(params string[] parts)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine([directory.FullName, .. parts]);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(string.Join('/', parts));
    }
}
