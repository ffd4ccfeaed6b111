using System.Globalization;
using Kiln.Monitoring.Drift;
using Kiln.Monitoring.Statistics;

namespace Kiln.Monitoring.Constraints;

/// <summary>Evaluates a window's profile against the baseline's constraints, as a monitoring execution does.</summary>
internal static class ConstraintChecker
{
    public static List<Violation> Check(DatasetProfiler current, DataQualityConstraints constraints, DriftReport drift)
    {
        var violations = new List<Violation>();
        var config = constraints.MonitoringConfig;
        if (!config.EvaluateConstraints)
        {
            return violations;
        }

        var currentColumns = current.Columns.Count;
        foreach (var feature in constraints.Features)
        {
            if (current.Find(feature.Name) is not { } column)
            {
                violations.Add(new Violation(feature.Name, CheckTypes.MissingColumn, Invariant(
                    $"There are missing columns in current dataset. Number of columns in current dataset: {currentColumns}, Number of columns in baseline constraints: {constraints.Features.Count}")));
                continue;
            }

            var completeness = (double)column.Present / current.ItemCount;
            if (completeness < feature.Completeness - 1e-12)
            {
                violations.Add(new Violation(feature.Name, CheckTypes.Completeness, Invariant(
                    $"Data completeness requirement is not met. Expected: {Percent(feature.Completeness)}. Observed: Only {Percent(completeness)} of data is complete.")));
            }

            if (column.Present > 0)
            {
                var conforming = feature.InferredType switch
                {
                    InferredType.Integral => column.Integral,
                    InferredType.Fractional => column.Integral + column.Fractional,
                    _ => column.Present,
                };
                var share = (double)conforming / column.Present;
                var expected = 1 - config.DatatypeCheckThreshold;
                if (share < expected - 1e-12)
                {
                    violations.Add(new Violation(feature.Name, CheckTypes.DataType, Invariant(
                        $"Data type match requirement is not met. Expected data type: {feature.InferredType}, Expected match: {Percent(expected)}. Observed: Only {Percent(share)} of data is {feature.InferredType}.")));
                }

                if (feature.Domains is not null)
                {
                    var outside = (double)column.OutsideDomain / column.Present;
                    if (outside > config.DomainContentThreshold + 1e-12)
                    {
                        violations.Add(new Violation(feature.Name, CheckTypes.CategoricalValues, Invariant(
                            $"Data does not meet the categorical values requirement. Expected: at most {Percent(config.DomainContentThreshold)} of values outside the baseline domain. Observed: {Percent(outside)} of values are not in the domain.")));
                    }
                }
            }

            if (config.Distribution.PerformComparison && drift.Feature(feature.Name) is { Drifted: true } d)
            {
                var chiSquared = d.Kind == FeatureKind.Categorical && config.Distribution.CategoricalDriftMethod == CategoricalDriftMethod.ChiSquared;
                violations.Add(new Violation(feature.Name, CheckTypes.BaselineDrift, chiSquared
                    ? Invariant($"Baseline drift chi-squared p-value: {d.Distance} is below threshold: {d.Threshold}")
                    : Invariant($"Baseline drift distance: {d.Distance} exceeds threshold: {d.Threshold}")));
            }
        }

        foreach (var column in current.Columns)
        {
            if (constraints.Feature(column.Name) is null)
            {
                violations.Add(new Violation(column.Name, CheckTypes.ExtraColumn, Invariant(
                    $"There are extra columns in current dataset. Number of columns in current dataset: {currentColumns}, Number of columns in baseline constraints: {constraints.Features.Count}")));
            }
        }

        return violations;
    }

    private static string Percent(double share) => (share * 100).ToString("0.0##", CultureInfo.InvariantCulture) + "%";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
