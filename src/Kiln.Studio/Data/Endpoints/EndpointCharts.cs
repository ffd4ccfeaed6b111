namespace Kiln.Studio.Data.Endpoints;

/// <summary>ECharts options for the endpoint page (see <see cref="ChartOptions"/> for how they reach the browser).</summary>
public static class EndpointCharts
{
    /// <summary>One line per variant: its routing weight at each reading.</summary>
    public static object Weights(IReadOnlyList<(string Variant, IReadOnlyList<(DateTimeOffset Time, double Weight)> Points)> history) => new
    {
        animation = false,
        tooltip = new { trigger = "axis" },
        legend = new { type = "scroll", top = 0 },
        grid = new { left = 60, right = 20, top = 40, bottom = 40 },
        xAxis = new { type = "time" },
        yAxis = new { type = "value", name = "weight", min = 0 },
        series = history.Select(variant => new
        {
            name = variant.Variant,
            type = "line",
            step = "end",
            showSymbol = variant.Points.Count == 1,
            data = variant.Points.Select(p => new object[] { p.Time.ToUnixTimeMilliseconds(), p.Weight }),
        }),
    };
}
