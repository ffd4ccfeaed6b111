using System.Net;
using Kiln.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Api.Tests.Security;

/// <summary>What the host around the APIs guards: the Host header allow-list and signing keys that outlive a restart.</summary>
public sealed class HostingGuardTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "kiln-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_request_for_a_host_not_on_the_allow_list_gets_400()
    {
        await using var app = await KilnServer.StartAsync(new KilnServerOptions { Port = 0, DataDirectory = _dataDirectory, AllowedHosts = ["localhost", "*.kiln.test"] });
        var address = new Uri(app.Addresses()[0]);
        using var http = new HttpClient { BaseAddress = address };

        foreach (var (host, expected) in new[] { ("localhost", HttpStatusCode.OK), ("node1.kiln.test", HttpStatusCode.OK), ("127.0.0.1", HttpStatusCode.BadRequest), ("evil.example", HttpStatusCode.BadRequest) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "health");
            request.Headers.Host = $"{host}:{address.Port}";
            using var response = await http.SendAsync(request);
            Assert.True(expected == response.StatusCode, $"{host}: {response.StatusCode}");
        }
    }

    [Fact]
    public void An_empty_allow_list_is_refused_at_start()
    {
        var options = new KilnServerOptions { DataDirectory = _dataDirectory, AllowedHosts = ["localhost", ""] };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("--allowed-hosts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_protection_keys_live_in_the_data_folder_and_survive_a_restart()
    {
        string sealedText;
        await using (var first = await KilnServer.StartAsync(new KilnServerOptions { Port = 0, DataDirectory = _dataDirectory }))
        {
            sealedText = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("kiln-test").Protect("still signed in");
            await first.StopAsync();
        }

        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_dataDirectory, "data-protection-keys"), "key-*.xml"));
        await using var second = await KilnServer.StartAsync(new KilnServerOptions { Port = 0, DataDirectory = _dataDirectory });
        Assert.Equal("still signed in", second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("kiln-test").Unprotect(sealedText));
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
