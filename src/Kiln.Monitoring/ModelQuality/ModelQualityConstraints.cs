using System.Globalization;
using System.Text.Json;

namespace Kiln.Monitoring.ModelQuality;

public enum ComparisonOperator
{
    LessThanThreshold,
    GreaterThanThreshold,
    LessThanOrEqualToThreshold,
    GreaterThanOrEqualToThreshold,
}

/// <summary>A metric's bound: the metric violates it when "value comparison_operator threshold" holds.</summary>
public sealed record MetricConstraint(string MetricName, double Threshold, ComparisonOperator ComparisonOperator);

/// <summary>One entry of a model-quality constraint_violations.json.</summary>
public sealed record ModelQualityViolation(string MetricName, string ConstraintCheckType, string Description);

/// <summary>The content of a model-quality constraints.json.</summary>
public sealed record ModelQualityConstraints(ProblemType ProblemType, IReadOnlyList<MetricConstraint> Constraints)
{
    private static readonly HashSet<string> LowerIsBetter = ["mae", "mse", "rmse", "false_positive_rate", "false_negative_rate"];

    private static readonly Dictionary<ProblemType, string[]> Suggested = new()
    {
        [ProblemType.BinaryClassification] = ["recall", "precision", "accuracy", "true_positive_rate", "true_negative_rate", "false_positive_rate", "false_negative_rate", "auc", "f0_5", "f1", "f2"],
        [ProblemType.MulticlassClassification] = ["accuracy", "weighted_recall", "weighted_precision", "weighted_f0_5", "weighted_f1", "weighted_f2"],
        [ProblemType.Regression] = ["mae", "mse", "rmse", "r2"],
    };

    public string ConstraintsKey => ProblemType switch
    {
        ProblemType.BinaryClassification => "binary_classification_constraints",
        ProblemType.MulticlassClassification => "multiclass_classification_constraints",
        _ => "regression_constraints",
    };

    /// <summary>The baseline's metrics as thresholds: a window does no worse than the baseline.</summary>
    public static ModelQualityConstraints Suggest(ModelQualityStatistics baseline) => new(
        baseline.ProblemType,
        Suggested[baseline.ProblemType]
            .Where(name => baseline.Metrics.TryGetValue(name, out var m) && double.IsFinite(m.Value))
            .Select(name => new MetricConstraint(name, baseline.Metrics[name].Value, LowerIsBetter.Contains(name) ? ComparisonOperator.GreaterThanThreshold : ComparisonOperator.LessThanThreshold))
            .ToList());

    public IReadOnlyList<ModelQualityViolation> Check(ModelQualityStatistics current)
    {
        var violations = new List<ModelQualityViolation>();
        foreach (var constraint in Constraints)
        {
            if (!current.Metrics.TryGetValue(constraint.MetricName, out var metric) || double.IsNaN(metric.Value))
            {
                continue;
            }

            var violated = constraint.ComparisonOperator switch
            {
                ComparisonOperator.LessThanThreshold => metric.Value < constraint.Threshold,
                ComparisonOperator.GreaterThanThreshold => metric.Value > constraint.Threshold,
                ComparisonOperator.LessThanOrEqualToThreshold => metric.Value <= constraint.Threshold,
                _ => metric.Value >= constraint.Threshold,
            };
            if (violated)
            {
                var deviation = double.IsNaN(metric.StandardDeviation) ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" +/- {metric.StandardDeviation}");
                violations.Add(new ModelQualityViolation(constraint.MetricName, constraint.ComparisonOperator.ToString(), string.Create(CultureInfo.InvariantCulture,
                    $"Metric {constraint.MetricName} with {metric.Value}{deviation} was {constraint.ComparisonOperator} '{constraint.Threshold}'")));
            }
        }

        return violations;
    }

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 0.0);
            w.WriteStartObject(ConstraintsKey);
            foreach (var c in Constraints)
            {
                w.WriteStartObject(c.MetricName);
                w.WriteNumber("threshold", c.Threshold);
                w.WriteString("comparison_operator", c.ComparisonOperator.ToString());
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public static ModelQualityConstraints Parse(string json)
    {
        try
        {
            return ParseDocument(json);
        }
        catch (InvalidOperationException e)
        {
            throw new MonitoringInputException($"The model quality constraints file does not have Model Monitor's schema: {e.Message}", e);
        }
    }

    private static ModelQualityConstraints ParseDocument(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new MonitoringInputException($"The model quality constraints file is not JSON: {e.Message}", e);
        }

        using (document)
        {
            foreach (var type in Enum.GetValues<ProblemType>())
            {
                var key = new ModelQualityConstraints(type, []).ConstraintsKey;
                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(key, out var section) && section.ValueKind == JsonValueKind.Object)
                {
                    var list = section.EnumerateObject().Select(p => new MetricConstraint(
                        p.Name,
                        Json.Number(p.Value, "threshold"),
                        p.Value.TryGetProperty("comparison_operator", out var op) && op.ValueKind == JsonValueKind.String && Enum.TryParse<ComparisonOperator>(op.GetString(), out var parsed) && !int.TryParse(op.GetString(), out _)
                            ? parsed
                            : throw new MonitoringInputException($"The constraint on {p.Name} has no valid comparison_operator ({string.Join(", ", Enum.GetNames<ComparisonOperator>())})."))).ToList();
                    return new ModelQualityConstraints(type, list);
                }
            }

            throw new MonitoringInputException("The model quality constraints file has no binary_classification_constraints, multiclass_classification_constraints or regression_constraints.");
        }
    }

    public static string ViolationsJson(IReadOnlyList<ModelQualityViolation> violations)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("violations");
            foreach (var v in violations)
            {
                w.WriteStartObject();
                w.WriteString("constraint_check_type", v.ConstraintCheckType);
                w.WriteString("description", v.Description);
                w.WriteString("metric_name", v.MetricName);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
