using Kiln.Api.Security;
using Kiln.Core.Security;
using Kiln.Studio.Components.Login;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Studio;

/// <summary>
/// Studio's login under <c>kiln server --auth</c>: <c>GET /login</c> shows the form (user name and secret access key),
/// <c>POST /studio/login</c> checks its antiforgery token and the credentials with <see cref="Users"/>, starts a
/// session (<see cref="StudioSessions"/>) and goes back to the page asked for, or shows the form again with 401.
/// <c>POST /studio/logout</c> ends the session. Without <c>--auth</c> there is nothing to log into: both go home.
/// </summary>
public static class StudioLogin
{
    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(StudioSessions.LoginPath, (string? returnUrl, IAntiforgery antiforgery, HttpContext http) =>
            StudioSessions.AreOn(http.RequestServices)
                ? Form(http, antiforgery, StudioSessions.LocalReturnUrl(returnUrl), userName: "", error: null, StatusCodes.Status200OK)
                : Results.Redirect("/"));

        app.MapPost(StudioSessions.LoginPostPath, async (IAntiforgery antiforgery, Users users, HttpContext http) =>
        {
            if (!StudioSessions.AreOn(http.RequestServices))
            {
                return Results.Redirect("/");
            }

            if (!await antiforgery.IsRequestValidAsync(http))
            {
                return Results.BadRequest("The form's antiforgery token is missing or invalid: reload the page and try again.");
            }

            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            var returnUrl = StudioSessions.LocalReturnUrl(form["returnUrl"]);
            var name = form["userName"].ToString().Trim();
            var secret = form["secret"].ToString();
            var user = name.Length > 0 && secret.Length > 0 ? await users.FindByNameAndSecretAsync(name, secret, http.RequestAborted) : null;
            if (user is null)
            {
                return Form(http, antiforgery, returnUrl, name, "The user name or secret access key is not right.", StatusCodes.Status401Unauthorized);
            }

            await StudioSessions.SignInAsync(http, user);
            return Results.Redirect(returnUrl);
        });

        app.MapPost(StudioSessions.LogoutPath, async (IAntiforgery antiforgery, HttpContext http) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http))
            {
                return Results.BadRequest("The form's antiforgery token is missing or invalid: reload the page and try again.");
            }

            if (StudioSessions.AreOn(http.RequestServices))
            {
                await StudioSessions.SignOutAsync(http);
            }

            return Results.Redirect(StudioSessions.LoginPath);
        });
    }

    private static IResult Form(HttpContext http, IAntiforgery antiforgery, string returnUrl, string userName, string? error, int status)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return new RazorComponentResult<LoginPage>(new Dictionary<string, object?>
        {
            [nameof(LoginPage.ReturnUrl)] = returnUrl,
            [nameof(LoginPage.UserName)] = userName,
            [nameof(LoginPage.Error)] = error,
            [nameof(LoginPage.TokenField)] = tokens.FormFieldName,
            [nameof(LoginPage.Token)] = tokens.RequestToken,
        })
        { StatusCode = status };
    }
}
