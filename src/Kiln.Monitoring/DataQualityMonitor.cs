using Kiln.Monitoring.Constraints;
using Kiln.Monitoring.Datasets;
using Kiln.Monitoring.Drift;
using Kiln.Monitoring.Statistics;

namespace Kiln.Monitoring;

/// <summary>A suggested baseline: statistics.json and constraints.json of the baseline dataset.</summary>
public sealed record BaselineResult(DatasetStatistics Statistics, DataQualityConstraints Constraints)
{
    public string StatisticsJson => Kiln.Monitoring.Statistics.StatisticsJson.ToJson(Statistics);

    public string ConstraintsJson => Kiln.Monitoring.Constraints.ConstraintsJson.ToJson(Constraints);
}

/// <summary>A data-quality monitoring execution: the window's statistics, its violations and Kiln's drift report.</summary>
public sealed record DataQualityResult(DatasetStatistics Statistics, IReadOnlyList<Violation> Violations, DriftReport Drift)
{
    public string StatisticsJson => Kiln.Monitoring.Statistics.StatisticsJson.ToJson(Statistics);

    public string ViolationsJson => Kiln.Monitoring.Constraints.ViolationsJson.ToJson(Violations);
}

/// <summary>Model Monitor's data-quality analyzer: suggest_baseline, and a monitoring execution against a baseline.</summary>
public static class DataQualityMonitor
{
    /// <summary>Profiles the baseline dataset and suggests its constraints.</summary>
    public static BaselineResult SuggestBaseline(DatasetSource source, MonitoringConfig? config = null)
    {
        var statistics = Profile(source, null);
        return new BaselineResult(statistics.Result(), ConstraintSuggester.Suggest(statistics.Result(), config));
    }

    /// <summary>Profiles the dataset alone (statistics.json without constraints).</summary>
    public static DatasetStatistics Statistics(DatasetSource source) => Profile(source, null).Result();

    /// <summary>
    /// Profiles a window and evaluates it against the baseline constraints; the drift checks compare with the
    /// baseline statistics when given (without them there is no baseline_drift_check).
    /// </summary>
    public static DataQualityResult Analyze(DatasetSource source, DataQualityConstraints constraints, DatasetStatistics? baselineStatistics)
    {
        var domains = constraints.Features.Where(f => f.Domains is not null)
            .ToDictionary(f => f.Name, f => (IReadOnlySet<string>)f.Domains!.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var profiler = Profile(source, domains);
        var statistics = profiler.Result();
        var drift = baselineStatistics is null
            ? new DriftReport([])
            : DriftAnalyzer.Compare(baselineStatistics, statistics, constraints.MonitoringConfig.Distribution);
        return new DataQualityResult(statistics, ConstraintChecker.Check(profiler, constraints, drift), drift);
    }

    private static DatasetProfiler Profile(DatasetSource source, IReadOnlyDictionary<string, IReadOnlySet<string>>? domains)
    {
        var profiler = new DatasetProfiler(domains);
        source.Feed(profiler);
        return profiler;
    }
}
