using System.Globalization;

namespace Kiln.Studio.Data;

/// <summary>ECharts options for the tuning page (see <see cref="ChartOptions"/> for the conventions).</summary>
public static class TuningCharts
{
    /// <summary>The objective of each scored trial in launch order, the best trial drawn as its own, larger point.</summary>
    public static object ObjectiveByTrial(TuningView view) => new
    {
        animation = false,
        tooltip = new { trigger = "item" },
        legend = new { top = 0 },
        grid = new { left = 70, right = 20, top = 40, bottom = 50 },
        xAxis = new { type = "value", name = "trial (launch order)", nameLocation = "middle", nameGap = 28, minInterval = 1 },
        yAxis = new { type = "value", name = view.Job.Spec.Objective.MetricName, scale = true },
        series = new object[]
        {
            new
            {
                name = "Trials",
                type = "line",
                symbolSize = 8,
                data = view.Scored.Select(row => new { name = row.Trial.TrainingJobName, value = new[] { row.Order, row.Trial.Objective!.Value } }),
            },
            new
            {
                name = "Best trial",
                type = "scatter",
                symbol = "diamond",
                symbolSize = 18,
                data = view.Scored.Where(row => row.IsBest).Select(row => new { name = row.Trial.TrainingJobName, value = new[] { row.Order, row.Trial.Objective!.Value } }),
            },
        },
    };

    /// <summary>One point per scored trial: the parameter's value (x) against the objective (y).</summary>
    public static object ParameterScatter(TuningView view, string parameter)
    {
        var rows = view.Scored.Where(row => row.Trial.TunedHyperParameters.ContainsKey(parameter)).ToList();
        var numeric = rows.All(row => double.TryParse(row.Trial.TunedHyperParameters[parameter], NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        object X(TrialRow row) => numeric
            ? double.Parse(row.Trial.TunedHyperParameters[parameter], NumberStyles.Float, CultureInfo.InvariantCulture)
            : row.Trial.TunedHyperParameters[parameter];
        return new
        {
            animation = false,
            tooltip = new { trigger = "item" },
            grid = new { left = 70, right = 20, top = 20, bottom = 50 },
            xAxis = numeric
                ? (object)new { type = "value", name = parameter, nameLocation = "middle", nameGap = 28, scale = true }
                : new { type = "category", name = parameter, nameLocation = "middle", nameGap = 28, data = rows.Select(row => row.Trial.TunedHyperParameters[parameter]).Distinct().Order(StringComparer.Ordinal) },
            yAxis = new { type = "value", name = view.Job.Spec.Objective.MetricName, scale = true },
            series = new[]
            {
                new
                {
                    type = "scatter",
                    symbolSize = 12,
                    data = rows.Select(row => new
                    {
                        name = row.Trial.TrainingJobName,
                        value = new[] { X(row), row.Trial.Objective!.Value },
                        itemStyle = row.IsBest ? new { color = "#d9480f" } : null,
                    }),
                },
            },
        };
    }
}
