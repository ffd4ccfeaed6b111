using Kiln.Core.AutoML;
using Kiln.Core.Common;
using Microsoft.AspNetCore.Antiforgery;

namespace Kiln.Studio.Canvas;

/// <summary>
/// The Canvas flow's form posts: upload a CSV, build a model from it (an AutoML job), predict a CSV in batch. Each
/// checks the form's antiforgery token, calls the same services the S3 and SageMaker APIs use, and redirects to the
/// page that shows the result (or back with the error).
/// </summary>
public static partial class CanvasEndpoints
{
    /// <summary>Quick builds try a few candidates (a minute or two on one machine); standard builds Autopilot's budget.</summary>
    public const int QuickCandidates = 4;

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/studio/automl/datasets", UploadAsync);
        app.MapPost("/studio/automl/datasets/{id}/build", BuildAsync);
        app.MapPost("/studio/automl/jobs/{name}/batch-predictions", BatchPredictAsync);
    }

    private static async Task<IResult> UploadAsync(HttpContext http, IAntiforgery antiforgery, CanvasDatasets datasets)
    {
        if (await ReadFormAsync(http, antiforgery) is not { } form)
        {
            return Results.BadRequest("The form expired or did not come from Studio; reload the page and try again.");
        }

        if (form.Files.GetFile("file") is not { Length: > 0 } file)
        {
            return Results.Redirect("/automl?error=" + Uri.EscapeDataString("Choose a CSV file to upload."));
        }

        await using var content = file.OpenReadStream();
        var id = await datasets.UploadAsync(file.FileName, content, http.RequestAborted);
        return Results.Redirect($"/automl/datasets/{id}");
    }

    private static async Task<IResult> BuildAsync(string id, HttpContext http, IAntiforgery antiforgery, CanvasDatasets datasets, AutoMLJobService automl)
    {
        if (await ReadFormAsync(http, antiforgery) is not { } form)
        {
            return Results.BadRequest("The form expired or did not come from Studio; reload the page and try again.");
        }

        var back = $"/automl/datasets/{Uri.EscapeDataString(id)}";
        try
        {
            var dataset = await datasets.FindAsync(id, http.RequestAborted) ?? throw KilnException.NotFound($"There is no uploaded dataset '{id}'.");
            var target = form["target"].ToString();
            var column = dataset.Table.ColumnIndex(target);
            if (column < 0)
            {
                throw KilnException.InvalidParameter("Pick the column to predict.");
            }

            var name = form["name"].ToString() is { Length: > 0 } given ? given.Trim() : $"canvas-{id}";
            if (!JobName().IsMatch(name))
            {
                throw KilnException.InvalidParameter($"'{name}' is not a valid job name: 1 to 32 letters, digits and hyphens, starting with a letter or digit.");
            }

            var quick = form["build"].ToString() != "standard";
            // Classes are scored by accuracy, as Canvas shows them; numbers with many values are left to AutoML's default.
            var classes = !dataset.IsNumeric(column) || dataset.DistinctValues(column, 20).Count <= 20;
            await automl.CreateAsync(new AutoMLJobSpec
            {
                Name = name,
                TrainingDataUri = dataset.Uri,
                ContentType = "text/csv",
                TargetColumn = target,
                ObjectiveMetric = classes ? "Accuracy" : null,
                MaxCandidates = quick ? QuickCandidates : AutoMLJobService.DefaultMaxCandidates,
                OutputPath = $"s3://{CanvasDatasets.Bucket}/canvas-output/{name}",
                CreatedBy = "studio",
                Tags = [new Core.Tracking.Tag("kiln:studio-canvas", id)],
            }, http.RequestAborted);
            return Results.Redirect($"/automl/jobs/{Uri.EscapeDataString(name)}");
        }
        catch (KilnException e)
        {
            return Results.Redirect(back + "?error=" + Uri.EscapeDataString(e.Message));
        }
    }

    private static async Task<IResult> BatchPredictAsync(string name, HttpContext http, IAntiforgery antiforgery, AutoMLJobService automl, CanvasPredictions predictions)
    {
        if (await ReadFormAsync(http, antiforgery) is not { } form)
        {
            return Results.BadRequest("The form expired or did not come from Studio; reload the page and try again.");
        }

        var back = $"/automl/jobs/{Uri.EscapeDataString(name)}";
        try
        {
            var job = await automl.DescribeAsync(name, http.RequestAborted);
            if (form.Files.GetFile("file") is not { Length: > 0 } file)
            {
                throw KilnException.InvalidParameter("Choose a CSV file to predict.");
            }

            await using var content = file.OpenReadStream();
            var csv = await predictions.PredictCsvAsync(job, content, http.RequestAborted);
            var download = Path.GetFileNameWithoutExtension(file.FileName) + "-predictions.csv";
            return Results.File(System.Text.Encoding.UTF8.GetBytes(csv), "text/csv", download);
        }
        catch (KilnException e)
        {
            return Results.Redirect(back + "?batchError=" + Uri.EscapeDataString(e.Message) + "#batch");
        }
    }

    private static async Task<IFormCollection?> ReadFormAsync(HttpContext http, IAntiforgery antiforgery)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(http);
        }
        catch (AntiforgeryValidationException)
        {
            return null;
        }

        return await http.Request.ReadFormAsync(http.RequestAborted);
    }

    /// <summary>SageMaker's AutoMLJobName pattern.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$")]
    private static partial System.Text.RegularExpressions.Regex JobName();
}
