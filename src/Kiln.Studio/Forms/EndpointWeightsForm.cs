using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Microsoft.AspNetCore.Antiforgery;

namespace Kiln.Studio.Forms;

/// <summary>
/// The endpoint page's "change weights" form: <c>POST /studio/endpoints/{name}/weights</c> with a
/// <c>weight:{variant}</c> and <c>instances:{variant}</c> field per production variant, handled by the service behind
/// UpdateEndpointWeightsAndCapacities, then back to the endpoint page (with the service's message when it refuses).
/// </summary>
public static class EndpointWeightsForm
{
    public const string WeightField = "weight:";
    public const string InstancesField = "instances:";

    public static string Action(string endpoint) => $"/studio/endpoints/{Uri.EscapeDataString(endpoint)}/weights";

    internal static void Map(IEndpointRouteBuilder app) => app.MapPost("/studio/endpoints/{name}/weights", PostAsync);

    private static async Task<IResult> PostAsync(string name, HttpContext http, IAntiforgery antiforgery, ServingService serving, CancellationToken ct)
    {
        var page = "/endpoints/" + Uri.EscapeDataString(name);
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return Results.BadRequest("The form expired; reload the page and try again.");
        }

        var form = await http.Request.ReadFormAsync(ct);
        var changes = new List<(string Variant, double? Weight, int? InstanceCount)>();
        foreach (var key in form.Keys.Where(key => key.StartsWith(WeightField, StringComparison.Ordinal)))
        {
            var variant = key[WeightField.Length..];
            if (!double.TryParse(form[key], NumberStyles.Float, CultureInfo.InvariantCulture, out var weight)
                || !int.TryParse(form[InstancesField + variant], NumberStyles.Integer, CultureInfo.InvariantCulture, out var instances))
            {
                return Results.Redirect($"{page}?error={Uri.EscapeDataString($"Variant {variant}: the weight must be a number and the instance count a whole number.")}");
            }

            changes.Add((variant, weight, instances));
        }

        try
        {
            await serving.UpdateWeightsAndCapacitiesAsync(name, changes, ct);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.NotFound();
        }
        catch (KilnException e)
        {
            return Results.Redirect($"{page}?error={Uri.EscapeDataString(e.Message)}");
        }

        return Results.Redirect($"{page}?updated=weights");
    }
}
