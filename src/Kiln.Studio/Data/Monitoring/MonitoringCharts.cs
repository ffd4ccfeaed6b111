namespace Kiln.Studio.Data.Monitoring;

/// <summary>ECharts options for the schedule page (see <see cref="ChartOptions"/> for how they reach the browser).</summary>
public static class MonitoringCharts
{
    private const string ViolatedColour = "#a4161a";

    /// <summary>A metric over the executions' scheduled times; points whose execution flagged the feature are large and red.</summary>
    public static object Metric(string name, IReadOnlyList<MonitorPoint> points) => new
    {
        animation = false,
        tooltip = new { trigger = "axis" },
        grid = new { left = 60, right = 20, top = 20, bottom = 40 },
        xAxis = new { type = "time" },
        yAxis = new { type = "value", scale = true },
        series = new[]
        {
            new
            {
                name,
                type = "line",
                showSymbol = true,
                data = points.Select(p => p.Violated
                    ? (object)new { value = new object[] { p.ScheduledTime.ToUnixTimeMilliseconds(), p.Value }, symbolSize = 12, itemStyle = new { color = ViolatedColour } }
                    : new { value = new object[] { p.ScheduledTime.ToUnixTimeMilliseconds(), p.Value }, symbolSize = 6, itemStyle = new { color = "#0b5cad" } }),
            },
        },
    };
}
