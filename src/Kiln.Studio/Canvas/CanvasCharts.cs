namespace Kiln.Studio.Canvas;

/// <summary>ECharts options of the AutoML pages (see <see cref="Data.ChartOptions"/> for how they reach the browser).</summary>
public static class CanvasCharts
{
    /// <summary>Horizontal bars, the most important feature on top.</summary>
    public static object FeatureImportance(IReadOnlyList<(string Column, double Importance)> importance, string measure) => new
    {
        animation = false,
        tooltip = new { trigger = "axis", axisPointer = new { type = "shadow" } },
        grid = new { left = 200, right = 40, top = 30, bottom = 40 },
        xAxis = new { type = "value", name = $"{measure} increase when shuffled", nameLocation = "middle", nameGap = 26 },
        yAxis = new { type = "category", inverse = true, data = importance.Select(i => i.Column) },
        series = new[] { new { type = "bar", name = "importance", data = importance.Select(i => i.Importance) } },
    };
}
