using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Kiln.Api.Security;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Core.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Api.Tests.Security;

/// <summary>Studio under <c>--auth</c>: a login form and a session cookie, as a browser uses them (cookies kept, redirects not followed).</summary>
public sealed partial class StudioLoginTests(AuthServerFixture server) : IClassFixture<AuthServerFixture>
{
    private const string TokenField = "__RequestVerificationToken";

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    [Fact]
    public async Task A_page_without_a_session_redirects_to_the_login_form_which_brings_the_browser_back()
    {
        var (http, cookies) = Browser();
        using var anonymous = await PageAsync(http, "jobs?sort=name");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal("/login?returnUrl=" + Uri.EscapeDataString("/jobs?sort=name"), anonymous.Headers.Location!.OriginalString);

        using var form = await PageAsync(http, anonymous.Headers.Location.OriginalString.TrimStart('/'));
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        var html = await form.Content.ReadAsStringAsync();
        Assert.Contains("name=\"secret\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"/jobs?sort=name\"", html, StringComparison.Ordinal);

        using var loggedIn = await LogInAsync(http, server.Reader.User.Name, server.Reader.SecretAccessKey, "/jobs?sort=name");
        Assert.Equal(HttpStatusCode.Redirect, loggedIn.StatusCode);
        Assert.Equal("/jobs?sort=name", loggedIn.Headers.Location!.OriginalString);
        var session = Assert.Single(cookies.GetAllCookies(), c => c.Name == StudioSessions.CookieName);
        Assert.True(session.HttpOnly);
        var setCookie = loggedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(StudioSessions.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", setCookie.Replace("samesite", "", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase);

        foreach (var path in new[] { "jobs?sort=name", "", "experiments" })
        {
            using var page = await PageAsync(http, path);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var body = await page.Content.ReadAsStringAsync();
            Assert.Contains("Logged in as <strong>reader.one</strong>", body, StringComparison.Ordinal);
            Assert.Contains("Log out", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_wrong_secret_shows_the_form_again_with_401_and_no_session()
    {
        var (http, cookies) = Browser();
        foreach (var (name, secret) in new[] { (server.Reader.User.Name, server.Admin.SecretAccessKey), ("nobody", server.Reader.SecretAccessKey), (server.Reader.User.Name, "") })
        {
            using var refused = await LogInAsync(http, name, secret, "/jobs");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            var html = await refused.Content.ReadAsStringAsync();
            Assert.Contains("not right", html, StringComparison.Ordinal);
            Assert.Contains("name=\"secret\"", html, StringComparison.Ordinal);
            Assert.DoesNotContain(cookies.GetAllCookies(), c => c.Name == StudioSessions.CookieName);
        }

        using var page = await PageAsync(http, "jobs");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("/\\evil.example/x")]
    [InlineData("https://evil.example/x")]
    [InlineData("javascript:alert(1)")]
    public async Task A_return_url_to_another_site_goes_home_instead(string returnUrl)
    {
        var (http, _) = Browser();
        using var loggedIn = await LogInAsync(http, server.Reader.User.Name, server.Reader.SecretAccessKey, returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, loggedIn.StatusCode);
        Assert.Equal("/", loggedIn.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task The_session_cookie_does_not_authenticate_the_apis()
    {
        var (http, cookies) = Browser();
        using var loggedIn = await LogInAsync(http, server.Admin.User.Name, server.Admin.SecretAccessKey, "/");
        Assert.Contains(cookies.GetAllCookies(), c => c.Name == StudioSessions.CookieName);

        using var sageMaker = new HttpRequestMessage(HttpMethod.Post, "") { Content = new StringContent("{}", Encoding.UTF8, "application/x-amz-json-1.1") };
        sageMaker.Headers.Add("X-Amz-Target", "SageMaker.ListTrainingJobs");
        using var refused = await http.SendAsync(sageMaker);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("MissingAuthenticationTokenException", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        foreach (var path in new[] { "api/2.0/mlflow/experiments/search?max_results=5", "ajax-api/2.0/mlflow/experiments/search?max_results=5" })
        {
            using var mlflow = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, mlflow.StatusCode);
        }

        using var page = await PageAsync(http, "jobs");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task Posts_without_the_antiforgery_token_are_refused()
    {
        var (http, _) = Browser();
        using var login = await http.PostAsync("studio/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userName"] = server.Reader.User.Name,
            ["secret"] = server.Reader.SecretAccessKey,
            ["returnUrl"] = "/",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);

        using var loggedIn = await LogInAsync(http, server.Admin.User.Name, server.Admin.SecretAccessKey, "/");
        Assert.Equal(HttpStatusCode.Redirect, loggedIn.StatusCode);
        using var stop = await http.PostAsync("studio/jobs/training/no-such-job/stop", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, stop.StatusCode);
        using var logout = await http.PostAsync("studio/logout", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PageAsync(http, "jobs")).StatusCode);
    }

    [Fact]
    public async Task Logging_out_ends_the_session()
    {
        var (http, cookies) = Browser();
        using var loggedIn = await LogInAsync(http, server.Reader.User.Name, server.Reader.SecretAccessKey, "/");
        using var page = await PageAsync(http, "jobs");
        var token = TokenPattern().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;
        Assert.NotEmpty(token);

        using var logout = await http.PostAsync("studio/logout", new FormUrlEncodedContent(new Dictionary<string, string> { [TokenField] = WebUtility.HtmlDecode(token) }));
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal("/login", logout.Headers.Location!.OriginalString);
        Assert.DoesNotContain(cookies.GetAllCookies(), c => c.Name == StudioSessions.CookieName);
        using var after = await PageAsync(http, "jobs");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task Rotating_the_users_key_ends_their_sessions()
    {
        var users = server.Services.GetRequiredService<Users>();
        var user = await users.CreateAsync("rotated.user", isAdmin: false, canRunCode: false);
        var (http, _) = Browser();
        using var loggedIn = await LogInAsync(http, user.User.Name, user.SecretAccessKey, "/jobs");
        Assert.Equal(HttpStatusCode.OK, (await PageAsync(http, "jobs")).StatusCode);

        await users.RotateKeyAsync(user.User.Name);
        using var after = await PageAsync(http, "jobs");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    private (HttpClient Http, CookieContainer Cookies) Browser()
    {
        var cookies = new CookieContainer();
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        return (http, cookies);
    }

    private static async Task<HttpResponseMessage> PageAsync(HttpClient http, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");
        return await http.SendAsync(request);
    }

    /// <summary>Opens the login form (for its antiforgery token and cookie) and posts it as a browser would.</summary>
    private static async Task<HttpResponseMessage> LogInAsync(HttpClient http, string name, string secret, string returnUrl)
    {
        using var form = await PageAsync(http, "login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        var token = TokenPattern().Match(await form.Content.ReadAsStringAsync()).Groups[1].Value;
        Assert.NotEmpty(token);
        return await http.PostAsync("studio/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [TokenField] = WebUtility.HtmlDecode(token),
            ["userName"] = name,
            ["secret"] = secret,
            ["returnUrl"] = returnUrl,
        }));
    }
}
