using System.Globalization;
using System.Net;
using System.Text;

namespace Kiln.AutoML.Reports;

/// <summary>
/// A small writer for self-contained report pages: escaped text, tables, sections, and inline SVG charts. The output
/// is well-formed XHTML (every element closed, every attribute quoted), so it reads in any browser and parses as XML.
/// </summary>
internal sealed class Html
{
    private const string Style = """
        body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:72rem;color:#1f2933;padding:0 1rem}
        h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d9e2ec;padding-bottom:.3rem}
        table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}th,td{border:1px solid #d9e2ec;padding:.25rem .55rem;text-align:left;vertical-align:top}
        th{background:#f0f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#627d98}.best{background:#e3f9e5}
        .warn{color:#b44d12}.grid{display:flex;flex-wrap:wrap;gap:1rem}.card{border:1px solid #d9e2ec;border-radius:6px;padding:.5rem .8rem}
        svg text{font-family:system-ui,sans-serif}
        """;

    private readonly StringBuilder _body = new();

    public Html(string title, string subtitle)
    {
        Title = title;
        Heading(1, title);
        Paragraph(subtitle, "muted");
    }

    public string Title { get; }

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    public static string Number(double value, string format = "G4") =>
        double.IsNaN(value) ? "–" : value.ToString(format, CultureInfo.InvariantCulture);

    public Html Heading(int level, string text)
    {
        _body.Append(CultureInfo.InvariantCulture, $"<h{level}>{Escape(text)}</h{level}>\n");
        return this;
    }

    public Html Paragraph(string text, string? cssClass = null)
    {
        _body.Append(cssClass is null ? "<p>" : $"<p class=\"{cssClass}\">").Append(Escape(text)).Append("</p>\n");
        return this;
    }

    /// <summary>Markup already made safe (a chart, a link built from escaped parts).</summary>
    public Html Raw(string markup)
    {
        _body.Append(markup).Append('\n');
        return this;
    }

    /// <summary>A table; cells that parse as numbers are right-aligned. <paramref name="highlight"/> marks rows (e.g. the best candidate).</summary>
    public Html Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, Func<int, bool>? highlight = null)
    {
        _body.Append("<table><thead><tr>");
        foreach (var cell in header)
        {
            _body.Append("<th>").Append(Escape(cell)).Append("</th>");
        }

        _body.Append("</tr></thead><tbody>\n");
        var index = 0;
        foreach (var row in rows)
        {
            _body.Append(highlight?.Invoke(index) == true ? "<tr class=\"best\">" : "<tr>");
            foreach (var cell in row)
            {
                var numeric = double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
                _body.Append(numeric ? "<td class=\"num\">" : "<td>").Append(Escape(cell)).Append("</td>");
            }

            _body.Append("</tr>\n");
            index++;
        }

        _body.Append("</tbody></table>\n");
        return this;
    }

    public override string ToString() =>
        $"<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head><meta charset=\"utf-8\" /><title>{Escape(Title)}</title><style>{Style}</style></head>\n<body>\n{_body}</body>\n</html>\n";
}

/// <summary>Inline SVG charts for the reports: bars (vertical and horizontal), a scatter plot, a heat-map grid.</summary>
internal static class Svg
{
    private const string Bar = "#3e7bfa";
    private const string Accent = "#e66a2c";

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Vertical bars, one per label (a histogram or class counts).</summary>
    public static string Columns(string title, IReadOnlyList<string> labels, IReadOnlyList<double> values, int width = 360, int height = 200)
    {
        var max = values.Count == 0 ? 1 : Math.Max(values.Max(), 1e-12);
        var plotTop = 24.0;
        var plotHeight = height - plotTop - 34;
        var slot = (width - 20.0) / Math.Max(1, values.Count);
        var svg = Start(width, height, title);
        for (var i = 0; i < values.Count; i++)
        {
            var h = plotHeight * values[i] / max;
            var x = 10 + (i * slot);
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(x + 1)}\" y=\"{F(plotTop + plotHeight - h)}\" width=\"{F(Math.Max(1, slot - 2))}\" height=\"{F(h)}\" fill=\"{Bar}\"><title>{Html.Escape($"{labels[i]}: {Html.Number(values[i])}")}</title></rect>");
            if (values.Count <= 12)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x + (slot / 2))}\" y=\"{F(height - 18)}\" font-size=\"10\" text-anchor=\"middle\">{Html.Escape(Shorten(labels[i], 12))}</text>");
            }
        }

        if (values.Count > 12 && labels.Count > 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"{F(height - 18)}\" font-size=\"10\">{Html.Escape(labels[0])}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width - 10}\" y=\"{F(height - 18)}\" font-size=\"10\" text-anchor=\"end\">{Html.Escape(labels[^1])}</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>Horizontal bars with their values, largest first (importance, missing shares, correlations).</summary>
    public static string Bars(string title, IReadOnlyList<(string Label, double Value)> items, int width = 640, string? format = null)
    {
        var rowHeight = 18;
        var height = 30 + (items.Count * rowHeight) + 10;
        var max = items.Count == 0 ? 1 : Math.Max(items.Max(item => Math.Abs(item.Value)), 1e-12);
        var labelWidth = 220.0;
        var plotWidth = width - labelWidth - 70;
        var svg = Start(width, height, title);
        for (var i = 0; i < items.Count; i++)
        {
            var (label, value) = items[i];
            var y = 30 + (i * rowHeight);
            var w = plotWidth * Math.Abs(value) / max;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(labelWidth - 6)}\" y=\"{y + 13}\" font-size=\"11\" text-anchor=\"end\">{Html.Escape(Shorten(label, 34))}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(labelWidth)}\" y=\"{y + 3}\" width=\"{F(Math.Max(0.5, w))}\" height=\"{rowHeight - 6}\" fill=\"{(value < 0 ? Accent : Bar)}\" />");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(labelWidth + w + 4)}\" y=\"{y + 13}\" font-size=\"10\">{Html.Escape(format is null ? Html.Number(value, "G3") : value.ToString(format, CultureInfo.InvariantCulture))}</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>Points (x, y) with the best one marked: a candidate's objective against the order it was trained in.</summary>
    public static string Scatter(string title, string xLabel, string yLabel, IReadOnlyList<(double X, double Y, string Tip)> points, int? highlight, int width = 640, int height = 280)
    {
        var svg = Start(width, height, title);
        if (points.Count > 0)
        {
            double left = 60, right = width - 20, top = 30, bottom = height - 40;
            var (xMin, xMax) = Range(points.Select(p => p.X));
            var (yMin, yMax) = Range(points.Select(p => p.Y));
            double X(double x) => left + ((x - xMin) / (xMax - xMin) * (right - left));
            double Y(double y) => bottom - ((y - yMin) / (yMax - yMin) * (bottom - top));
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{bottom}\" x2=\"{right}\" y2=\"{bottom}\" stroke=\"#9fb3c8\" /><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{bottom}\" stroke=\"#9fb3c8\" />");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(left + right) / 2}\" y=\"{height - 8}\" font-size=\"11\" text-anchor=\"middle\">{Html.Escape(xLabel)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"{(top + bottom) / 2}\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 {(top + bottom) / 2})\">{Html.Escape(yLabel)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + 4}\" font-size=\"10\" text-anchor=\"end\">{Html.Number(yMax)}</text><text x=\"{left - 4}\" y=\"{bottom}\" font-size=\"10\" text-anchor=\"end\">{Html.Number(yMin)}</text>");
            for (var i = 0; i < points.Count; i++)
            {
                var best = i == highlight;
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(X(points[i].X))}\" cy=\"{F(Y(points[i].Y))}\" r=\"{(best ? 6 : 4)}\" fill=\"{(best ? Accent : Bar)}\" fill-opacity=\"0.8\"><title>{Html.Escape(points[i].Tip)}</title></circle>");
            }
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>A grid of counts shaded by size (a confusion matrix: rows actual, columns predicted).</summary>
    public static string Grid(string title, IReadOnlyList<string> labels, int[,] counts)
    {
        var n = labels.Count;
        var cell = Math.Clamp(320 / Math.Max(1, n), 22, 60);
        var offset = 110;
        var width = offset + (n * cell) + 20;
        var height = offset + (n * cell) + 20;
        var max = 1;
        foreach (var count in counts)
        {
            max = Math.Max(max, count);
        }

        var svg = Start(width, height, title);
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{offset}\" y=\"44\" font-size=\"10\" class=\"muted\">predicted →</text><text x=\"8\" y=\"{offset - 6}\" font-size=\"10\">actual ↓</text>");
        for (var i = 0; i < n; i++)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{offset + (i * cell) + (cell / 2)}\" y=\"{offset - 8}\" font-size=\"10\" text-anchor=\"middle\">{Html.Escape(Shorten(labels[i], 8))}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{offset - 6}\" y=\"{offset + (i * cell) + (cell / 2) + 4}\" font-size=\"10\" text-anchor=\"end\">{Html.Escape(Shorten(labels[i], 14))}</text>");
            for (var j = 0; j < n; j++)
            {
                var shade = 0.1 + (0.85 * counts[i, j] / max);
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{offset + (j * cell)}\" y=\"{offset + (i * cell)}\" width=\"{cell - 1}\" height=\"{cell - 1}\" fill=\"{(i == j ? Bar : Accent)}\" fill-opacity=\"{F(shade)}\" />");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{offset + (j * cell) + (cell / 2)}\" y=\"{offset + (i * cell) + (cell / 2) + 4}\" font-size=\"11\" text-anchor=\"middle\">{counts[i, j]}</text>");
            }
        }

        return svg.Append("</svg>").ToString();
    }

    private static StringBuilder Start(int width, int height, string title) =>
        new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\"><title>{Html.Escape(title)}</title><text x=\"4\" y=\"16\" font-size=\"12\" font-weight=\"600\">{Html.Escape(title)}</text>");

    private static (double Min, double Max) Range(IEnumerable<double> values)
    {
        var list = values.Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        var (min, max) = (list.Min(), list.Max());
        return min == max ? (min - 1, max + 1) : (min - ((max - min) * 0.05), max + ((max - min) * 0.05));
    }

    private static string Shorten(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
