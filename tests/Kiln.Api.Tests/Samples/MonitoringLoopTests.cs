using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.Samples;

/// <summary>
/// samples/monitoring/run_loop.py end to end (drift, violations, retraining pipeline, approval, blue/green update), then
/// <c>kiln monitor</c> on the schedule it left behind.
/// </summary>
public sealed class MonitoringLoopTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private Task<(int ExitCode, string Output)> KilnAsync(params string[] arguments) =>
        Repository.RunAsync("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "kiln.dll"), .. arguments, "--url", server.BaseAddress.ToString()], Repository.Root, TimeSpan.FromMinutes(1));

    [Fact]
    public async Task Drift_retrains_registers_a_scorecard_and_the_approved_model_serves_then_the_cli_shows_it()
    {
        await DebianPython.EnsureAsync();
        var (code, output) = await Repository.RunAsync(DebianPython.Interpreter, [Repository.Path("samples", "monitoring", "run_loop.py"), server.BaseAddress.ToString().TrimEnd('/')],
            Repository.Root, TimeSpan.FromMinutes(5));
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("SUMMARY ", StringComparison.Ordinal));
        Assert.True(code == 0 && line is not null, $"run_loop.py failed ({code}):\n{output}");
        var summary = JsonDocument.Parse(line!["SUMMARY ".Length..]).RootElement;
        string Field(string name) => summary.GetProperty(name).GetString()!;

        Assert.Equal("CompletedWithViolations", Field("monitoring_execution_status"));
        Assert.EndsWith("/constraint_violations.json", Field("violation_report"), StringComparison.Ordinal);
        Assert.Contains(":pipeline/", Field("pipeline_execution_arn"), StringComparison.Ordinal);
        Assert.Equal("Approved", Field("approval_status"));
        Assert.NotEqual(Field("serving_model_before"), Field("serving_model_after"));
        var scorecard = summary.GetProperty("scorecard");
        foreach (var auc in new[] { "new_model_auc", "serving_model_auc" })
        {
            Assert.InRange(double.Parse(scorecard.GetProperty(auc).GetString()!, System.Globalization.CultureInfo.InvariantCulture), 0.0, 1.0);
        }

        Assert.EndsWith("scorecard.json", Field("model_quality_statistics"), StringComparison.Ordinal);
        Assert.InRange(double.Parse(Field("prediction_after").Split('\n')[0], System.Globalization.CultureInfo.InvariantCulture), 0.0, 1.0);

        var schedule = Field("schedule");
        var (listCode, list) = await KilnAsync("monitor", "list", "--json");
        Assert.True(listCode == 0, list);
        var listed = JsonDocument.Parse(list).RootElement.GetProperty("MonitoringSchedules").EnumerateArray().Single(s => s.GetProperty("MonitoringScheduleName").GetString() == schedule);
        Assert.Equal("CompletedWithViolations", listed.GetProperty("LastMonitoringExecutionSummary").GetProperty("MonitoringExecutionStatus").GetString());
        var (tableCode, table) = await KilnAsync("monitor", "list");
        Assert.True(tableCode == 0, table);
        Assert.Contains("Last execution", table, StringComparison.Ordinal);
        Assert.Contains(Field("endpoint"), table, StringComparison.Ordinal);

        var (showCode, shown) = await KilnAsync("monitor", "show", schedule);
        Assert.True(showCode == 0, shown);
        Assert.Contains("baseline_drift_check", shown, StringComparison.Ordinal);

        var (jsonCode, json) = await KilnAsync("monitor", "show", schedule, "--json");
        Assert.True(jsonCode == 0, json);
        var violations = JsonDocument.Parse(json).RootElement.GetProperty("LatestViolations").GetProperty("violations").EnumerateArray()
            .Select(v => v.GetProperty("feature_name").GetString()).ToHashSet();
        // total_day_minutes and total_day_charge, the two drifted columns (the 5th and 7th feature: captured requests have no header).
        Assert.Equal(["_c4", "_c6"], violations.Order(StringComparer.Ordinal));

        // run-now starts a second execution of the NOW schedule, which had run its one.
        var (runCode, ran) = await KilnAsync("monitor", "run-now", schedule);
        Assert.True(runCode == 0, ran);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        int executions;
        do
        {
            await Task.Delay(500);
            var (_, again) = await KilnAsync("monitor", "show", schedule, "--json");
            executions = JsonDocument.Parse(again).RootElement.GetProperty("Executions").GetArrayLength();
        }
        while (executions < 2 && DateTimeOffset.UtcNow < deadline);
        Assert.Equal(2, executions);

        var (missingCode, missing) = await KilnAsync("monitor", "run-now", "no-such-schedule");
        Assert.Equal(1, missingCode);
        Assert.Contains("no-such-schedule", missing, StringComparison.Ordinal);
    }
}
