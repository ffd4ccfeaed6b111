using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kiln.Api.Security.Audit;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Core.Security.Audit;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Api.Tests.Security;

/// <summary>The audit log of a server with <c>--auth</c>: what boto3 and MLflow clients did and were refused, readable by admins only.</summary>
public sealed class AuditTests(AuthServerFixture server) : IClassFixture<AuthServerFixture>
{
    [Fact]
    public async Task Mutating_and_refused_calls_on_every_dialect_are_recorded_and_chained()
    {
        await Boto3.RunAsync(server.BaseAddress, "audit.py", "test_audited_calls", null, server.Reader.User.AccessKeyId, server.Reader.SecretAccessKey);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using (var created = await SendAsync(http, HttpMethod.Post, "api/2.0/mlflow/experiments/create", Basic(server.Admin), "{\"name\":\"audited-mlflow\"}"))
        {
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        using (var anonymous = await SendAsync(http, HttpMethod.Post, "api/2.0/mlflow/runs/create", null, "{\"experiment_id\":\"0\"}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        var entries = await ReadAllAsync(http);
        var reader = server.Reader.User;
        AssertEntry(entries, "sagemaker:CreateExperiment", reader.Name, reader.AccessKeyId, "audited-experiment", 200, null);
        AssertEntry(entries, "s3:CreateBucket", reader.Name, reader.AccessKeyId, "arn:aws:s3:::audited", 200, null);
        AssertEntry(entries, "s3:PutObject", reader.Name, reader.AccessKeyId, "arn:aws:s3:::audited/data/train.csv", 200, null);
        AssertEntry(entries, "sagemaker:ListModels", "anonymous", reader.AccessKeyId, null, 403, "InvalidSignatureException");
        AssertEntry(entries, "s3:PutObject", "anonymous", reader.AccessKeyId, "arn:aws:s3:::audited/x", 403, "SignatureDoesNotMatch");
        AssertEntry(entries, "mlflow:POST /api/2.0/mlflow/experiments/create", server.Admin.User.Name, server.Admin.User.AccessKeyId, "audited-mlflow", 200, null);
        // A refused request's body is never read, so its resource is only what the URL names.
        AssertEntry(entries, "mlflow:POST /api/2.0/mlflow/runs/create", "anonymous", null, null, 401, "UNAUTHENTICATED");

        // Reads that went through are not recorded; nothing secret is.
        Assert.DoesNotContain(entries, e => e.GetProperty("action").GetString() == "sagemaker:ListTrainingJobs");
        var text = string.Join("\n", entries.Select(e => e.GetRawText()));
        Assert.DoesNotContain(server.Reader.SecretAccessKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Admin.SecretAccessKey, text, StringComparison.Ordinal);
        Assert.All(entries, e => Assert.Equal("127.0.0.1", e.GetProperty("remote_ip").GetString()));

        using var verify = await SendAsync(http, HttpMethod.Get, "api/kiln/audit/verify", Basic(server.Admin));
        var verified = JsonDocument.Parse(await verify.Content.ReadAsStringAsync()).RootElement;
        Assert.True(verified.GetProperty("intact").GetBoolean());
        Assert.True(verified.GetProperty("verified").GetInt64() >= entries.Count);
    }

    [Fact]
    public async Task Only_admins_read_the_log_and_the_denial_is_itself_recorded()
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var refused = await SendAsync(http, HttpMethod.Get, "api/kiln/audit", Basic(server.Reader));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("PERMISSION_DENIED", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error_code").GetString());
        using var anonymous = await http.GetAsync("api/kiln/audit");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var mine = await ReadAllAsync(http, "user=" + server.Reader.User.Name);
        AssertEntry(mine, "kiln:GET /api/kiln/audit", server.Reader.User.Name, server.Reader.User.AccessKeyId, null, 403, "PERMISSION_DENIED");
        Assert.All(mine, e => Assert.Equal(server.Reader.User.Name, e.GetProperty("user").GetString()));

        using var badSince = await SendAsync(http, HttpMethod.Get, "api/kiln/audit?since=yesterday", Basic(server.Admin));
        Assert.Equal(HttpStatusCode.BadRequest, badSince.StatusCode);
        using var future = await SendAsync(http, HttpMethod.Get, "api/kiln/audit?since=2999-01-01T00:00:00Z", Basic(server.Admin));
        Assert.Equal(0, JsonDocument.Parse(await future.Content.ReadAsStringAsync()).RootElement.GetProperty("entries").GetArrayLength());
    }

    [Fact]
    public async Task Entries_queued_at_shutdown_are_written_and_pages_follow_tokens()
    {
        var writer = server.Services.GetRequiredService<AuditWriter>();
        var store = server.Services.GetRequiredService<IAuditStore>();
        for (var i = 0; i < 1200; i++)
        {
            writer.Add(new AuditRecord(DateTimeOffset.UtcNow, "burst", null, "test:Burst", i.ToString(System.Globalization.CultureInfo.InvariantCulture), null, 200, null));
        }

        await writer.FlushAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var burst = await ReadAllAsync(http, "user=burst&limit=500");
        Assert.Equal(Enumerable.Range(0, 1200).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), burst.Select(e => e.GetProperty("resource").GetString()));
        Assert.True((await AuditChain.VerifyAsync(store)).Intact);
    }

    [Fact]
    public async Task The_cli_reads_and_verifies_the_log_in_the_data_folder()
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using (await SendAsync(http, HttpMethod.Post, "api/2.0/mlflow/experiments/create", Basic(server.Coder), "{\"name\":\"cli-audited\"}"))
        {
        }

        await server.Services.GetRequiredService<AuditWriter>().FlushAsync();
        var (code, stdout, stderr) = await Repository.RunWithStreamsAsync("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "kiln.dll"), "audit", "--json", "--user", server.Coder.User.Name, "--data-dir", server.DataDirectory], Repository.Root, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, stdout + stderr);
        var entries = JsonDocument.Parse(stdout).RootElement.GetProperty("entries").EnumerateArray().ToList();
        AssertEntry(entries, "mlflow:POST /api/2.0/mlflow/experiments/create", server.Coder.User.Name, server.Coder.User.AccessKeyId, "cli-audited", 200, null);

        (code, stdout, stderr) = await Repository.RunWithStreamsAsync("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "kiln.dll"), "audit", "--verify", "--data-dir", server.DataDirectory], Repository.Root, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("intact", stdout, StringComparison.Ordinal);
    }

    private static void AssertEntry(IReadOnlyList<JsonElement> entries, string action, string user, string? key, string? resource, int status, string? code) =>
        Assert.True(
            entries.Any(e =>
                e.GetProperty("action").GetString() == action && e.GetProperty("user").GetString() == user
                && e.GetProperty("access_key_id").GetString() == key && e.GetProperty("resource").GetString() == resource
                && e.GetProperty("status").GetInt32() == status && e.GetProperty("error_code").GetString() == code),
            $"No entry {action} {user} {key} {resource} {status} {code} among:\n" + string.Join("\n", entries.Select(e => e.GetRawText())));

    private async Task<List<JsonElement>> ReadAllAsync(HttpClient http, string filter = "")
    {
        var all = new List<JsonElement>();
        string? token = null;
        do
        {
            var path = $"api/kiln/audit?{filter}" + (token is null ? "" : $"&pageToken={token}");
            using var response = await SendAsync(http, HttpMethod.Get, path, Basic(server.Admin));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            all.AddRange(page.GetProperty("entries").EnumerateArray().Select(e => e.Clone()));
            token = page.TryGetProperty("next_page_token", out var next) ? next.GetString() : null;
        }
        while (token is not null);
        return all;
    }

    private static AuthenticationHeaderValue Basic(Kiln.Core.Security.UserCredentials user) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user.User.Name}:{user.SecretAccessKey}")));

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, AuthenticationHeaderValue? credentials, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = credentials;
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await http.SendAsync(request);
    }
}
