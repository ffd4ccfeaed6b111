using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kiln.Cli;

/// <summary>
/// The CLI's view of a Kiln server: MLflow REST calls returning JSON nodes, errors as <see cref="KilnApiException"/>.
/// A server started with <c>--auth</c> is called as the user in <c>KILN_USER</c> with the secret in <c>KILN_SECRET</c>
/// (HTTP basic auth, as <c>kiln audit --remote</c> does).
/// </summary>
internal sealed class KilnClient(Uri baseAddress, TimeProvider clock) : IDisposable
{
    private readonly HttpClient _http = Credentials.Apply(new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(5) });

    public Uri BaseAddress => baseAddress;

    public TimeProvider Clock => clock;

    public Task<JsonObject> GetAsync(string path, IEnumerable<KeyValuePair<string, string>>? query = null, CancellationToken ct = default)
    {
        var url = "api/2.0/mlflow/" + path;
        if (query is not null)
        {
            url += "?" + string.Join("&", query.Select(pair => $"{Uri.EscapeDataString(pair.Key)}={Uri.EscapeDataString(pair.Value)}"));
        }

        return SendAsync(new HttpRequestMessage(HttpMethod.Get, url), ct);
    }

    public Task<JsonObject> PostAsync(string path, object body, CancellationToken ct = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, "api/2.0/mlflow/" + path) { Content = JsonContent.Create(body) }, ct);

    public async Task UploadArtifactAsync(string artifactUri, string relativePath, byte[] content, CancellationToken ct = default)
    {
        // mlflow-artifacts:/0/<run>/artifacts → PUT /api/2.0/mlflow-artifacts/artifacts/0/<run>/artifacts/<path>
        var root = artifactUri["mlflow-artifacts:".Length..].TrimStart('/');
        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/2.0/mlflow-artifacts/artifacts/{root}/{relativePath}")
        {
            Content = new ByteArrayContent(content),
        };
        await SendAsync(request, ct);
    }

    /// <summary>Calls a SageMaker operation (AWS JSON 1.1: POST / with X-Amz-Target).</summary>
    public async Task<JsonObject> SageMakerAsync(string operation, object body, CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "")
        {
            Content = new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/x-amz-json-1.1"),
        };
        request.Headers.Add("X-Amz-Target", "SageMaker." + operation);
        return await SendAsync(request, ct);
    }

    /// <summary>
    /// Stores an object through Kiln's S3-compatible endpoint, creating the bucket when needed. The request carries an
    /// S3 credential scope so it reaches the S3 dialect; signed with the user's access key when <c>KILN_USER</c> is set
    /// (a server with <c>--auth</c> verifies it), with a placeholder signature otherwise (a server without ignores it).
    /// </summary>
    public async Task PutObjectAsync(string bucket, string key, byte[] content, CancellationToken ct = default)
    {
        using (var create = await S3RequestAsync(HttpMethod.Put, bucket, ct))
        using (var created = await _http.SendAsync(create, ct))
        {
            if (!created.IsSuccessStatusCode && created.StatusCode != System.Net.HttpStatusCode.Conflict)
            {
                throw new KilnApiException("S3", $"Could not create bucket {bucket}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync(ct)}");
            }
        }

        using var put = await S3RequestAsync(HttpMethod.Put, $"{bucket}/{string.Join('/', key.Split('/').Select(Uri.EscapeDataString))}", ct);
        put.Content = new ByteArrayContent(content);
        using var response = await _http.SendAsync(put, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new KilnApiException("S3", $"Could not upload s3://{bucket}/{key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    private string? _accessKeyId;

    private async Task<HttpRequestMessage> S3RequestAsync(HttpMethod method, string path, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, path);
        var now = clock.GetUtcNow();
        var date = now.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        if (Credentials.FromEnvironment() is not { } credentials)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential=kiln-cli/{date}/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=unsigned");
            return request;
        }

        // The user's access key id is the server's to tell (MLflow's users/get answers it to the user themself).
        _accessKeyId ??= (await GetAsync("users/get", [new("username", credentials.Name)], ct))["user"]?["access_key_id"]?.GetValue<string>()
            ?? throw new KilnApiException("S3", $"The server did not tell the access key id of user {credentials.Name}.");
        var uri = new Uri(baseAddress, path);
        var authorization = Credentials.SignS3(method.Method, uri, _accessKeyId, credentials.Secret, now);
        request.Headers.TryAddWithoutValidation("x-amz-date", authorization.AmzDate);
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", Credentials.UnsignedPayload);
        request.Headers.TryAddWithoutValidation("Authorization", authorization.Header);
        return request;
    }

    /// <summary>Reads a job's log from a byte offset (Kiln's native API); returns the text, the next offset and whether the log is complete.</summary>
    public async Task<(string Text, long Offset, bool Complete)> ReadLogAsync(string jobName, long offset, CancellationToken ct = default)
    {
        var body = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"api/kiln/training-jobs/{Uri.EscapeDataString(jobName)}/logs?offset={offset}"), ct);
        return (body["text"]?.GetValue<string>() ?? "", body["offset"]?.GetValue<long>() ?? offset, body["complete"]?.GetValue<bool>() ?? false);
    }

    /// <summary>Kiln's native API (<c>/api/kiln/…</c>): GET a JSON document.</summary>
    public Task<JsonObject> NativeAsync(string path, CancellationToken ct = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, "api/kiln/" + path), ct);

    /// <summary>Kiln's native API (<c>/api/kiln/…</c>): POST with no body, read the JSON answer.</summary>
    public Task<JsonObject> NativePostAsync(string path, CancellationToken ct = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, "api/kiln/" + path), ct);

    /// <summary>Kiln's native API (<c>/api/kiln/…</c>): POST a JSON body, read the JSON answer.</summary>
    public Task<JsonObject> NativePostJsonAsync(string path, object body, CancellationToken ct = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, "api/kiln/" + path) { Content = JsonContent.Create(body) }, ct);

    /// <summary>Invokes an endpoint (the sagemaker-runtime dialect); returns the body, its content type and the variant that answered.</summary>
    public async Task<(string Body, string? ContentType, string? Variant)> InvokeAsync(string endpoint, string body, string contentType, string? accept, string? variant, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"endpoints/{Uri.EscapeDataString(endpoint)}/invocations")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, contentType),
        };
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        if (variant is not null)
        {
            request.Headers.Add("X-Amzn-SageMaker-Target-Variant", variant);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new KilnApiException("UNAVAILABLE", $"Cannot reach Kiln at {baseAddress}: {e.Message}. Start it with `kiln server` or pass --url.");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                var type = response.Headers.TryGetValues("x-amzn-ErrorType", out var types) ? types.First() : ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var message = text;
                try
                {
                    message = JsonNode.Parse(text)?["Message"]?.GetValue<string>() ?? text;
                }
                catch (JsonException)
                {
                }

                throw new KilnApiException(type, message);
            }

            return (text, response.Content.Headers.ContentType?.ToString(),
                response.Headers.TryGetValues("x-Amzn-Invoked-Production-Variant", out var variants) ? variants.First() : null);
        }
    }

    /// <summary>A sagemaker-featurestore-runtime call (REST JSON): its status, error type (x-amzn-ErrorType) and body, errors included.</summary>
    public async Task<(int Status, string? ErrorType, JsonObject Body)> FeatureStoreRuntimeAsync(HttpMethod method, string path, object? body, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new KilnApiException("UNAVAILABLE", $"Cannot reach Kiln at {baseAddress}: {e.Message}. Start it with `kiln server` or pass --url.");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonObject? parsed = null;
            try
            {
                parsed = text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException)
            {
            }

            var type = response.Headers.TryGetValues("x-amzn-ErrorType", out var types) ? types.First() : null;
            return ((int)response.StatusCode, type, parsed ?? new JsonObject { ["message"] = text });
        }
    }

    public async Task<bool> IsHealthyAsync(CancellationToken ct = default)
    {
        try
        {
            using var response = await _http.GetAsync("health", ct);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<JsonObject> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, ct);
            }
            catch (HttpRequestException e)
            {
                throw new KilnApiException("UNAVAILABLE", $"Cannot reach Kiln at {baseAddress}: {e.Message}. Start it with `kiln server` or pass --url.");
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(ct);
                JsonObject? body = null;
                try
                {
                    body = text.Length == 0 ? [] : JsonNode.Parse(text) as JsonObject;
                }
                catch (JsonException)
                {
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw new KilnApiException(
                        body?["error_code"]?.GetValue<string>() ?? body?["__type"]?.GetValue<string>() ?? ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        body?["message"]?.GetValue<string>() ?? body?["error"]?.GetValue<string>() ?? text);
                }

                return body ?? [];
            }
        }
    }
}

internal sealed class KilnApiException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
