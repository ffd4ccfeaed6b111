using Kiln.Core.Tracking;

namespace Kiln.Studio.Data;

/// <summary>
/// ECharts option objects (https://echarts.apache.org/en/option.html) for Studio's charts, built on the server and
/// serialized into the page; studio.js hands them to echarts.init(...).setOption as they are.
/// </summary>
public static class ChartOptions
{
    /// <summary>One line per series against the step axis (a run's metric history, or the same metric across runs).</summary>
    public static object Lines(IReadOnlyList<MetricSeries> series, Func<MetricSeries, string> name) => new
    {
        animation = false,
        tooltip = new { trigger = "axis" },
        legend = new { type = "scroll", top = 0 },
        grid = new { left = 60, right = 20, top = 40, bottom = 60 },
        dataZoom = new object[] { new { type = "inside" }, new { type = "slider", height = 18, bottom = 8 } },
        xAxis = new { type = "value", name = "step", nameLocation = "middle", nameGap = 24, scale = true },
        yAxis = new { type = "value", scale = true },
        series = series.Select(s => new
        {
            name = name(s),
            type = "line",
            showSymbol = s.Points.Count == 1,
            sampling = "lttb",
            data = s.Points.Select(p => new object[] { p.Step, p.Value }),
        }),
    };

    /// <summary>Parallel coordinates: one axis per param or metric, one line per run. Text params become category axes.</summary>
    public static object ParallelCoordinates(IReadOnlyList<Run> runs, IReadOnlyList<RunColumn> columns)
    {
        var axes = columns.Select((column, index) =>
        {
            var values = runs.Select(column.ValueOf).ToList();
            var numeric = values.All(v => v is null || double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _));
            return numeric
                ? (object)new { dim = index, name = column.Id, type = "value", scale = true }
                : new { dim = index, name = column.Id, type = "category", data = values.OfType<string>().Distinct().Order(StringComparer.Ordinal) };
        }).ToList();
        return new
        {
            animation = false,
            tooltip = new { },
            parallelAxis = axes,
            parallel = new { left = 60, right = 80, top = 60, bottom = 30 },
            series = new[]
            {
                new
                {
                    type = "parallel",
                    lineStyle = new { width = 2 },
                    data = runs.Select(run => new
                    {
                        name = run.Info.RunName,
                        value = columns.Select(column => AxisValue(column.ValueOf(run))),
                    }),
                },
            },
        };
    }

    /// <summary>One point per run: a param (x) against a metric (y).</summary>
    public static object Scatter(IReadOnlyList<Run> runs, RunColumn x, RunColumn y)
    {
        var xValues = runs.Select(x.ValueOf).ToList();
        var numericX = xValues.All(v => v is null || double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _));
        return new
        {
            animation = false,
            tooltip = new { trigger = "item" },
            grid = new { left = 60, right = 20, top = 30, bottom = 50 },
            xAxis = numericX
                ? (object)new { type = "value", name = x.Id, nameLocation = "middle", nameGap = 28, scale = true }
                : new { type = "category", name = x.Id, nameLocation = "middle", nameGap = 28, data = xValues.OfType<string>().Distinct().Order(StringComparer.Ordinal) },
            yAxis = new { type = "value", name = y.Id, scale = true },
            series = new[]
            {
                new
                {
                    type = "scatter",
                    symbolSize = 12,
                    data = runs.Where(run => x.ValueOf(run) is not null && y.ValueOf(run) is not null)
                        .Select(run => new { name = run.Info.RunName, value = new[] { AxisValue(x.ValueOf(run)), AxisValue(y.ValueOf(run)) } }),
                },
            },
        };
    }

    private static object? AxisValue(string? text) =>
        text is not null && double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : text;
}
