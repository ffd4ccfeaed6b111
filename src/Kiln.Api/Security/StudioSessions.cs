using System.Security.Claims;
using Kiln.Core.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Kiln.Api.Security;

/// <summary>
/// Studio's browser sessions under <c>--auth</c>: after the login form verifies a user's name and secret, ASP.NET
/// Core's cookie handler issues an HttpOnly, SameSite=Lax cookie (Secure over HTTPS) holding the user's name and
/// access key id, protected by Data Protection, valid for <see cref="Lifetime"/> since the last request. The cookie
/// is only read for Studio's own requests (<see cref="IsStudioRequest"/>): it never authenticates the SageMaker, S3
/// or MLflow APIs, whose clients sign or send credentials on every call.
/// </summary>
public static class StudioSessions
{
    public const string Scheme = "KilnStudio";
    public const string CookieName = "kiln_session";
    public const string LoginPath = "/login";
    public const string LoginPostPath = "/studio/login";
    public const string LogoutPath = "/studio/logout";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);
    private const string AccessKeyClaim = "kiln:access_key_id";

    public static IServiceCollection AddKilnStudioSessions(this IServiceCollection services)
    {
        services.AddSingleton<SessionsOn>();
        // ASP.NET Core makes a lone scheme the default, and its authentication middleware then reads the cookie on
        // every request. The cookie is read only for Studio's requests (CallerAsync): on each API call that read cost
        // a few percent of a signed invocation's time.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication().AddCookie(Scheme, cookie =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = Lifetime;
            cookie.SlidingExpiration = true;
            cookie.LoginPath = LoginPath;
        });
        return services;
    }

    /// <summary>
    /// ASP.NET Core puts its authentication middleware in front of every request once authentication services exist.
    /// Kiln authenticates in its own middleware and Studio reads its cookie itself (<see cref="CallerAsync"/>), so
    /// that middleware would only resolve its handlers on each call (about 1 % of a signed invocation's CPU): the
    /// key ASP.NET Core checks before adding it is set, which leaves it out.
    /// </summary>
    public static void LeaveOutAspNetAuthenticationMiddleware(this IApplicationBuilder app) =>
        app.Properties["__AuthenticationMiddlewareSet"] = true;

    /// <summary>Whether the server was started with <c>--auth</c> (only then are there sessions to log into).</summary>
    public static bool AreOn(IServiceProvider services) => services.GetService<SessionsOn>() is not null;

    /// <summary>Requests anyone may make under <c>--auth</c>: the login form, its POST and Studio's static files.</summary>
    public static bool IsOpen(PathString path) =>
        path.Equals(LoginPath, StringComparison.Ordinal) || path.Equals(LoginPostPath, StringComparison.Ordinal)
        || path.StartsWithSegments("/studio/assets", StringComparison.Ordinal);

    /// <summary>Studio's pages (Razor component endpoints) and its own endpoints under <c>/studio/</c>: the only requests a session cookie is read for.</summary>
    public static bool IsStudioRequest(HttpContext http) =>
        http.Request.Path.StartsWithSegments("/studio", StringComparison.Ordinal)
        || http.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null;

    /// <summary>Only a path on this server (not <c>//host</c> or <c>/\host</c>, which browsers take for another host) is a place to return to after login.</summary>
    public static string LocalReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
            && !url.Any(char.IsControl) ? url : "/";

    public static string LoginUrl(string returnUrl) => LoginPath + "?returnUrl=" + Uri.EscapeDataString(returnUrl);

    public static Task SignInAsync(HttpContext http, KilnUser user)
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user.Name), new Claim(AccessKeyClaim, user.AccessKeyId)], Scheme);
        return http.SignInAsync(Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
    }

    public static Task SignOutAsync(HttpContext http) => http.SignOutAsync(Scheme);

    /// <summary>
    /// The session's user if the request carries a valid cookie whose user still holds the same access key: deleting
    /// the user or rotating their key ends their sessions (within <see cref="Users.CacheFor"/> for another process).
    /// </summary>
    public static async Task<KilnCaller?> CallerAsync(HttpContext http)
    {
        if (!http.Request.Cookies.ContainsKey(CookieName))
        {
            return null;
        }

        var result = await http.AuthenticateAsync(Scheme);
        var name = result.Principal?.FindFirstValue(ClaimTypes.Name);
        var keyId = result.Principal?.FindFirstValue(AccessKeyClaim);
        if (!result.Succeeded || name is null || keyId is null)
        {
            return null;
        }

        var credentials = await http.RequestServices.GetRequiredService<Users>().FindByAccessKeyAsync(keyId, http.RequestAborted);
        if (credentials is null || credentials.User.Name != name)
        {
            return null;
        }

        // Antiforgery tokens are then bound to this user: a token from another session does not validate.
        http.User = result.Principal!;
        return KilnCaller.Of(credentials.User);
    }

    private sealed class SessionsOn;
}
