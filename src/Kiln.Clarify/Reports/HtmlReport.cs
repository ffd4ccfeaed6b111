using System.Globalization;
using System.Net;
using System.Text;
using Kiln.Clarify.Bias;
using Kiln.Clarify.Explainability;

namespace Kiln.Clarify.Reports;

/// <summary>report.html: one self-contained page (no scripts, no external files) with the bias tables and an inline SVG chart of the global SHAP values.</summary>
public static class HtmlReport
{
    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:70rem}
        table{border-collapse:collapse;margin:.5rem 0 1.5rem}
        th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
        th{background:#f3f3f3} td.num{text-align:right;font-variant-numeric:tabular-nums}
        .err{color:#a33} h3{margin-bottom:.2rem} .meta{color:#666}
        """;

    public static string Write(AnalysisResult result, string title)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title))
            .Append("</title><style>").Append(Style).Append("</style></head><body>\n<h1>").Append(E(title)).Append("</h1>\n");
        if (result.PreTraining is { } pre)
        {
            Bias(html, "Pre-training bias metrics", pre);
        }
        if (result.PostTraining is { } post)
        {
            Bias(html, "Post-training bias metrics", post);
        }
        if (result.Shap is { } shap)
        {
            Shap(html, shap);
        }
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void Bias(StringBuilder html, string heading, BiasReport report)
    {
        html.Append("<h2>").Append(E(heading)).Append("</h2>\n<p class=\"meta\">Label <b>").Append(E(report.Label))
            .Append("</b>, positive when ").Append(E(report.LabelValueOrThreshold)).Append("</p>\n");
        foreach (var facet in report.Facets)
        {
            foreach (var group in facet.Values)
            {
                html.Append("<h3>Facet ").Append(E(facet.Name)).Append(" = ").Append(E(group.ValueOrThreshold)).Append("</h3>\n")
                    .Append("<table><tr><th>Metric</th><th>Description</th><th>Value</th></tr>\n");
                foreach (var metric in group.Metrics)
                {
                    html.Append("<tr><td>").Append(E(metric.Name)).Append("</td><td>").Append(E(metric.Description)).Append("</td>");
                    html.Append(metric.Value is { } v
                        ? $"<td class=\"num\">{E(Format(v))}</td>"
                        : $"<td class=\"err\">{E(metric.Error ?? "not computed")}</td>");
                    html.Append("</tr>\n");
                }
                html.Append("</table>\n");
            }
        }
    }

    private static void Shap(StringBuilder html, ShapReport shap)
    {
        html.Append("<h2>Feature importance (Kernel SHAP)</h2>\n<p class=\"meta\">Model output <b>").Append(E(shap.Label))
            .Append("</b>, expected value ").Append(E(Format(shap.ExpectedValue))).Append("</p>\n");
        var bars = shap.Features.Select((f, i) => (Feature: f, Value: shap.GlobalShapValues[i]))
            .OrderByDescending(b => Math.Abs(b.Value)).ToList();
        html.Append(Chart(bars));
        html.Append("<table><tr><th>Feature</th><th>Global SHAP value</th></tr>\n");
        foreach (var (feature, value) in bars)
        {
            html.Append("<tr><td>").Append(E(feature)).Append("</td><td class=\"num\">").Append(E(Format(value))).Append("</td></tr>\n");
        }
        html.Append("</table>\n");
    }

    /// <summary>Horizontal bars, longest first; negative values (median aggregation) extend left of the axis.</summary>
    internal static string Chart(IReadOnlyList<(string Feature, double Value)> bars)
    {
        const int labelWidth = 200, plotWidth = 420, barHeight = 18, gap = 6, valueWidth = 90;
        var height = (bars.Count * (barHeight + gap)) + gap;
        var max = bars.Select(b => Math.Abs(b.Value)).DefaultIfEmpty(0).Max();
        var hasNegative = bars.Any(b => b.Value < 0);
        var zero = labelWidth + (hasNegative ? plotWidth / 2.0 : 0);
        var span = hasNegative ? plotWidth / 2.0 : plotWidth;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{labelWidth + plotWidth + valueWidth}\" height=\"{height}\" role=\"img\" aria-label=\"Global SHAP values\">\n");
        for (var i = 0; i < bars.Count; i++)
        {
            var (feature, value) = bars[i];
            var y = gap + (i * (barHeight + gap));
            var length = max == 0 ? 0 : Math.Abs(value) / max * span;
            var x = value < 0 ? zero - length : zero;
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{labelWidth - 6}\" y=\"{y + 13}\" text-anchor=\"end\" font-size=\"12\">{E(feature)}</text>");
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{x:0.##}\" y=\"{y}\" width=\"{length:0.##}\" height=\"{barHeight}\" fill=\"#3b7dd8\"><title>{E(feature)}: {E(Format(value))}</title></rect>");
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{labelWidth + plotWidth + 4}\" y=\"{y + 13}\" font-size=\"12\">{E(Format(value))}</text>\n");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{zero:0.##}\" y1=\"0\" x2=\"{zero:0.##}\" y2=\"{height}\" stroke=\"#555\"/>\n</svg>\n");
        return svg.ToString();
    }

    private static string Format(double value) => value switch
    {
        double.PositiveInfinity => "Infinity",
        double.NegativeInfinity => "-Infinity",
        _ => value.ToString("0.######", CultureInfo.InvariantCulture),
    };

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
