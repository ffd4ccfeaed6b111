using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.Security;

/// <summary><c>kiln users</c> on the data folder of a running <c>--auth</c> server: the keys it prints are the keys the server accepts.</summary>
public sealed class UsersCliTests(AuthServerFixture server) : IClassFixture<AuthServerFixture>
{
    /// <summary>Runs the CLI; Output is stdout (the JSON document with --json) unless the command failed, then stdout and stderr.</summary>
    private Task<(int ExitCode, string Output)> KilnAsync(params string[] arguments) => KilnAsync(null, arguments);

    private static async Task<(int ExitCode, string Output)> KilnAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var (code, stdout, stderr) = await Repository.RunWithStreamsAsync("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "kiln.dll"), .. arguments], Repository.Root, TimeSpan.FromMinutes(2), environment);
        return (code, code == 0 ? stdout : stdout + stderr);
    }

    [Fact]
    public async Task Create_list_rotate_and_delete_a_user()
    {
        var (code, output) = await KilnAsync("users", "create", "cli-user", "--can-run-code", "--json", "--data-dir", server.DataDirectory);
        Assert.True(code == 0, output);
        var created = JsonDocument.Parse(output).RootElement;
        Assert.Equal(["access_key_id", "name", "secret_access_key"], created.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("cli-user", created.GetProperty("name").GetString());
        var keyId = created.GetProperty("access_key_id").GetString()!;
        var secret = created.GetProperty("secret_access_key").GetString()!;
        Assert.Matches("^AKIA[A-Z2-7]{16}$", keyId);
        Assert.Equal(40, secret.Length);

        Assert.Equal(HttpStatusCode.OK, await MlflowStatusAsync(Basic("cli-user", secret)));
        Assert.Equal(HttpStatusCode.OK, await MlflowStatusAsync(new AuthenticationHeaderValue("Bearer", secret)));

        var (again, taken) = await KilnAsync("users", "create", "cli-user", "--data-dir", server.DataDirectory);
        Assert.Equal(1, again);
        Assert.Contains("already exists", taken, StringComparison.Ordinal);
        var (invalid, refused) = await KilnAsync("users", "create", "bad:name", "--data-dir", server.DataDirectory);
        Assert.Equal(1, invalid);
        Assert.Contains("Invalid user name", refused, StringComparison.Ordinal);

        var (listCode, list) = await KilnAsync("users", "list", "--json", "--data-dir", server.DataDirectory);
        Assert.True(listCode == 0, list);
        Assert.DoesNotContain(secret, list, StringComparison.Ordinal);
        var listed = JsonDocument.Parse(list).RootElement.GetProperty("users").EnumerateArray().ToList();
        Assert.Equal(["ada", "cli-user", "coder", "reader.one"], listed.Select(u => u.GetProperty("name").GetString()));
        var user = listed[1];
        Assert.False(user.GetProperty("admin").GetBoolean());
        Assert.True(user.GetProperty("can_run_code").GetBoolean());
        Assert.Equal(keyId, user.GetProperty("access_key_id").GetString());
        Assert.True(listed[0].GetProperty("admin").GetBoolean());

        // Secrets are encrypted at rest: neither the database nor its log holds one, and the key file is the owner's alone.
        // On Unix the files are read by another process: the server runs in this one, and closing any descriptor of a
        // SQLite file drops all of this process's POSIX locks on it, after which the CLI no longer sees the server's
        // connections (its exit checkpoints and resets the WAL under them, and the server reads stale rows).
        foreach (var file in Directory.EnumerateFiles(server.DataDirectory, "kiln.db*"))
        {
            if (OperatingSystem.IsWindows())
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy);
                Assert.DoesNotContain(secret, Encoding.Latin1.GetString(copy.ToArray()), StringComparison.Ordinal);
            }
            else
            {
                var (found, _, errors) = await Repository.RunWithStreamsAsync("grep", ["-a", "-F", "-q", "-e", secret, file], Repository.Root, TimeSpan.FromMinutes(1));
                Assert.True(found == 1, $"grep {file}: exit {found} {errors}");
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(server.DataDirectory, "secrets.key")));
        }

        var (rotateCode, rotated) = await KilnAsync("users", "rotate-key", "cli-user", "--json", "--data-dir", server.DataDirectory);
        Assert.True(rotateCode == 0, rotated);
        var newSecret = JsonDocument.Parse(rotated).RootElement.GetProperty("secret_access_key").GetString()!;
        Assert.NotEqual(secret, newSecret);
        Assert.NotEqual(keyId, JsonDocument.Parse(rotated).RootElement.GetProperty("access_key_id").GetString());
        Assert.Equal(HttpStatusCode.OK, await MlflowStatusAsync(Basic("cli-user", newSecret)));

        // The server caches keys for a few seconds; after that the old secret is refused.
        await RefusedWithinCacheTimeAsync(Basic("cli-user", secret));
        await RefusedWithinCacheTimeAsync(new AuthenticationHeaderValue("Bearer", secret));

        var (deleteCode, deleted) = await KilnAsync("users", "delete", "cli-user", "--data-dir", server.DataDirectory);
        Assert.True(deleteCode == 0, deleted);
        var (missingCode, missing) = await KilnAsync("users", "delete", "cli-user", "--data-dir", server.DataDirectory);
        Assert.Equal(1, missingCode);
        Assert.Contains("does not exist", missing, StringComparison.Ordinal);
        var (afterCode, after) = await KilnAsync("users", "list", "--json", "--data-dir", server.DataDirectory);
        Assert.True(afterCode == 0, after);
        Assert.DoesNotContain("cli-user", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_whose_key_was_rotated_then_deleted_is_refused_within_the_cache_time()
    {
        var (code, output) = await KilnAsync("users", "create", "rotated-user", "--json", "--data-dir", server.DataDirectory);
        Assert.True(code == 0, output);
        var secret = JsonDocument.Parse(output).RootElement.GetProperty("secret_access_key").GetString()!;
        Assert.Equal(HttpStatusCode.OK, await MlflowStatusAsync(Basic("rotated-user", secret)));

        var (rotateCode, rotated) = await KilnAsync("users", "rotate-key", "rotated-user", "--json", "--data-dir", server.DataDirectory);
        Assert.True(rotateCode == 0, rotated);
        var newSecret = JsonDocument.Parse(rotated).RootElement.GetProperty("secret_access_key").GetString()!;
        // The cached entry holds the old secret: the new one makes the server read the store again, and is accepted.
        Assert.Equal(HttpStatusCode.OK, await MlflowStatusAsync(Basic("rotated-user", newSecret)));
        Assert.Equal(HttpStatusCode.OK, await MlflowStatusAsync(new AuthenticationHeaderValue("Bearer", newSecret)));
        // Wrong secrets keep arriving (a stale client): they must not keep the user's entry alive.
        Assert.Equal(HttpStatusCode.Unauthorized, await MlflowStatusAsync(Basic("rotated-user", secret)));

        var (deleteCode, deleted) = await KilnAsync("users", "delete", "rotated-user", "--data-dir", server.DataDirectory);
        Assert.True(deleteCode == 0, deleted);
        using var stale = new CancellationTokenSource();
        var staleClient = Task.Run(async () =>
        {
            while (!stale.IsCancellationRequested)
            {
                await MlflowStatusAsync(Basic("rotated-user", secret));
                await Task.Delay(200);
            }
        });
        try
        {
            await RefusedWithinCacheTimeAsync(Basic("rotated-user", newSecret));
            await RefusedWithinCacheTimeAsync(new AuthenticationHeaderValue("Bearer", newSecret));
        }
        finally
        {
            await stale.CancelAsync();
            await staleClient;
        }
    }

    [Fact]
    public async Task Users_commands_against_the_running_server_need_an_admin_and_hand_out_working_keys()
    {
        var url = server.BaseAddress.ToString();
        var admin = new Dictionary<string, string> { ["KILN_USER"] = server.Admin.User.Name, ["KILN_SECRET"] = server.Admin.SecretAccessKey };
        var reader = new Dictionary<string, string> { ["KILN_USER"] = server.Reader.User.Name, ["KILN_SECRET"] = server.Reader.SecretAccessKey };

        var (anonymousCode, anonymous) = await KilnAsync(new Dictionary<string, string> { ["KILN_USER"] = "", ["KILN_SECRET"] = "" }, "users", "list", "--server", url);
        Assert.Equal(1, anonymousCode);
        Assert.Contains("KILN_USER", anonymous, StringComparison.Ordinal);
        var (readerCode, refused) = await KilnAsync(reader, "users", "create", "by-reader", "--server", url);
        Assert.Equal(1, readerCode);
        Assert.Contains("403 PERMISSION_DENIED", refused, StringComparison.Ordinal);
        var (wrongCode, wrong) = await KilnAsync(new Dictionary<string, string> { ["KILN_USER"] = "ada", ["KILN_SECRET"] = server.Reader.SecretAccessKey }, "users", "list", "--server", url);
        Assert.Equal(1, wrongCode);
        Assert.Contains("401 UNAUTHENTICATED", wrong, StringComparison.Ordinal);

        var (code, output) = await KilnAsync(admin, "users", "create", "remote-user", "--json", "--server", url);
        Assert.True(code == 0, output);
        var created = JsonDocument.Parse(output).RootElement;
        Assert.Equal(["access_key_id", "name", "secret_access_key"], created.EnumerateObject().Select(p => p.Name).Order());
        var keyId = created.GetProperty("access_key_id").GetString()!;
        var secret = created.GetProperty("secret_access_key").GetString()!;
        await Boto3.RunAsync(server.BaseAddress, "auth.py", "test_key_accepted", null, keyId, secret);
        Assert.Equal(HttpStatusCode.OK, await MlflowStatusAsync(Basic("remote-user", secret)));
        var (readerListCode, _) = await KilnAsync(reader, "users", "list", "--server", url);
        Assert.Equal(1, readerListCode);

        var (takenCode, taken) = await KilnAsync(admin, "users", "create", "remote-user", "--server", url);
        Assert.Equal(1, takenCode);
        Assert.Contains("already exists", taken, StringComparison.Ordinal);

        var (listCode, list) = await KilnAsync(admin, "users", "list", "--json", "--server", url);
        Assert.True(listCode == 0, list);
        Assert.DoesNotContain(secret, list, StringComparison.Ordinal);
        var listed = JsonDocument.Parse(list).RootElement.GetProperty("users").EnumerateArray().Single(u => u.GetProperty("name").GetString() == "remote-user");
        Assert.Equal(keyId, listed.GetProperty("access_key_id").GetString());
        Assert.False(listed.GetProperty("admin").GetBoolean());

        var (rotateCode, rotated) = await KilnAsync(admin, "users", "rotate-key", "remote-user", "--json", "--server", url);
        Assert.True(rotateCode == 0, rotated);
        var newKeyId = JsonDocument.Parse(rotated).RootElement.GetProperty("access_key_id").GetString()!;
        var newSecret = JsonDocument.Parse(rotated).RootElement.GetProperty("secret_access_key").GetString()!;
        Assert.NotEqual(keyId, newKeyId);
        // The server rotated the key itself: the old one is refused at once, not after its cache time.
        await Boto3.RunAsync(server.BaseAddress, "auth.py", "test_key_refused", null, keyId, secret);
        Assert.Equal(HttpStatusCode.Unauthorized, await MlflowStatusAsync(Basic("remote-user", secret)));
        await Boto3.RunAsync(server.BaseAddress, "auth.py", "test_key_accepted", null, newKeyId, newSecret);

        var (deleteCode, deleted) = await KilnAsync(admin, "users", "delete", "remote-user", "--server", url);
        Assert.True(deleteCode == 0, deleted);
        await Boto3.RunAsync(server.BaseAddress, "auth.py", "test_key_refused", null, newKeyId, newSecret);
        var (missingCode, missing) = await KilnAsync(admin, "users", "delete", "remote-user", "--server", url);
        Assert.Equal(1, missingCode);
        Assert.Contains("404 RESOURCE_DOES_NOT_EXIST", missing, StringComparison.Ordinal);
    }

    /// <summary>Asserts that the server refuses these credentials within its cache time (plus slack for a busy machine).</summary>
    private async Task RefusedWithinCacheTimeAsync(AuthenticationHeaderValue credentials)
    {
        var deadline = DateTime.UtcNow + Kiln.Core.Security.Users.CacheFor + TimeSpan.FromSeconds(5);
        var status = await MlflowStatusAsync(credentials);
        while (status != HttpStatusCode.Unauthorized && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            status = await MlflowStatusAsync(credentials);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task The_server_refuses_a_public_address_without_auth()
    {
        var (code, output) = await KilnAsync("server", "--host", "0.0.0.0", "--port", "0", "--data-dir", Path.Combine(server.DataDirectory, "unused"));
        Assert.Equal(1, code);
        Assert.Contains("Refusing to listen on 0.0.0.0 without authentication", output, StringComparison.Ordinal);
        Assert.Contains("--insecure-no-auth", output, StringComparison.Ordinal);
    }

    private async Task<HttpStatusCode> MlflowStatusAsync(AuthenticationHeaderValue credentials)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/2.0/mlflow/experiments/search?max_results=1");
        request.Headers.Authorization = credentials;
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static AuthenticationHeaderValue Basic(string name, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(name + ":" + secret)));
}
