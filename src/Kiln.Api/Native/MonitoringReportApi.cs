using System.Globalization;
using System.Net;
using System.Text;
using Kiln.Core.Common;
using Kiln.Core.Monitoring;

namespace Kiln.Api.Native;

/// <summary>
/// A monitoring schedule's metric series: <c>GET /api/kiln/monitoring-schedules/{name}/metrics</c> (JSON, per metric
/// its points in execution order) and <c>…/report</c> (one HTML page with a small SVG chart per metric, violated
/// points in red, and the latest execution's violations).
/// </summary>
internal static class MonitoringReportApi
{
    private const int Width = 320;
    private const int Height = 80;
    private const int Pad = 6;

    public static IEndpointRouteBuilder MapMonitoringReports(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/kiln/monitoring-schedules/{name}/metrics", MetricsAsync);
        app.MapGet("/api/kiln/monitoring-schedules/{name}/report", ReportAsync);
        return app;
    }

    /// <summary>One point of a metric's series.</summary>
    internal sealed record SeriesPoint(DateTimeOffset ScheduledTime, double Value, bool Violated);

    private static async Task<IResult> MetricsAsync(string name, MonitoringAlertsService alerts, HttpContext http)
    {
        try
        {
            var (schedule, results) = await alerts.ResultsAsync(name, http.RequestAborted);
            return Results.Json(new
            {
                monitoringScheduleName = schedule.Name,
                metrics = Series(results).ToDictionary(
                    series => series.Key,
                    series => series.Value.Select(point => new { scheduledTime = point.ScheduledTime, value = point.Value, violated = point.Violated })),
            });
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.Json(new { error = e.Message }, statusCode: 404);
        }
    }

    private static async Task<IResult> ReportAsync(string name, MonitoringAlertsService alerts, HttpContext http)
    {
        try
        {
            var (schedule, results) = await alerts.ResultsAsync(name, http.RequestAborted);
            return Results.Content(Html(schedule, results), "text/html; charset=utf-8");
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.Json(new { error = e.Message }, statusCode: 404);
        }
    }

    /// <summary>Each metric's points in execution order (results come oldest first), metrics by name.</summary>
    internal static SortedDictionary<string, List<SeriesPoint>> Series(IReadOnlyList<ExecutionResults> results)
    {
        var series = new SortedDictionary<string, List<SeriesPoint>>(StringComparer.Ordinal);
        foreach (var result in results)
        {
            foreach (var point in result.Points)
            {
                if (!series.TryGetValue(point.Metric, out var list))
                {
                    series[point.Metric] = list = [];
                }

                list.Add(new SeriesPoint(result.ScheduledTime, point.Value, result.Violated(point)));
            }
        }

        return series;
    }

    internal static string Html(MonitoringSchedule schedule, IReadOnlyList<ExecutionResults> results)
    {
        var title = WebUtility.HtmlEncode(schedule.Name);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}: monitoring report</title>")
            .Append("<style>body{font-family:sans-serif;margin:1.5em}.chart{display:inline-block;margin:0 1em 1em 0}.chart h3{font-size:.85em;margin:0}")
            .Append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}</style></head><body>")
            .Append(CultureInfo.InvariantCulture, $"<h1>{title}</h1><p>{results.Count} execution(s) with reports, {WebUtility.HtmlEncode(schedule.MonitoringType)}.</p>");
        foreach (var (metric, points) in Series(results))
        {
            html.Append(CultureInfo.InvariantCulture, $"<div class=\"chart\"><h3>{WebUtility.HtmlEncode(metric)}</h3>").Append(Chart(points)).Append("</div>");
        }

        html.Append("<h2>Latest violations</h2>");
        var latest = results.Count == 0 ? [] : results[^1].Violations;
        if (latest.Count == 0)
        {
            html.Append("<p>None.</p>");
        }
        else
        {
            html.Append("<table><tr><th>Feature</th><th>Check</th><th>Description</th></tr>");
            foreach (var violation in latest)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{WebUtility.HtmlEncode(violation.Feature)}</td><td>{WebUtility.HtmlEncode(violation.CheckType)}</td><td>{WebUtility.HtmlEncode(violation.Description)}</td></tr>");
            }

            html.Append("</table>");
        }

        return html.Append("</body></html>").ToString();
    }

    /// <summary>A line over the points, scaled to the box; a single point sits in the middle.</summary>
    private static string Chart(IReadOnlyList<SeriesPoint> points)
    {
        var min = points.Min(point => point.Value);
        var max = points.Max(point => point.Value);
        var span = max - min;
        string X(int i) => (points.Count == 1 ? Width / 2.0 : Pad + (i * (Width - (2.0 * Pad)) / (points.Count - 1))).ToString("0.#", CultureInfo.InvariantCulture);
        string Y(double value) => (span == 0 ? Height / 2.0 : Height - Pad - ((value - min) / span * (Height - (2.0 * Pad)))).ToString("0.#", CultureInfo.InvariantCulture);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\">")
            .Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"#fafafa\" stroke=\"#ddd\"/>")
            .Append("<polyline fill=\"none\" stroke=\"#36c\" stroke-width=\"1.5\" points=\"")
            .AppendJoin(' ', points.Select((point, i) => $"{X(i)},{Y(point.Value)}"))
            .Append("\"/>");
        for (var i = 0; i < points.Count; i++)
        {
            var point = points[i];
            var value = point.Value.ToString("G6", CultureInfo.InvariantCulture);
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(i)}\" cy=\"{Y(point.Value)}\" r=\"3\" fill=\"{(point.Violated ? "red" : "#36c")}\"><title>{point.ScheduledTime:u}: {value}{(point.Violated ? " (violated)" : "")}</title></circle>");
        }

        return svg.Append("</svg>").ToString();
    }
}
