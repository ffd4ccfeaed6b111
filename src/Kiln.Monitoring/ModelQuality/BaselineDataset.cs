using nietras.SeparatedValues;

namespace Kiln.Monitoring.ModelQuality;

/// <summary>
/// A model-quality baseline dataset, as suggest_baseline for model quality takes it: a CSV holding the label
/// (ground_truth_attribute), the prediction (inference_attribute) and, for binary models, the score
/// (probability_attribute), named by header or as _c0.._cN without one.
/// </summary>
public static class BaselineDataset
{
    public static List<LabeledPrediction> ReadCsv(Stream stream, bool header, string groundTruthAttribute, string? inferenceAttribute, string? probabilityAttribute = null, double probabilityThreshold = 0.5)
    {
        if (inferenceAttribute is null && probabilityAttribute is null)
        {
            throw new MonitoringInputException("A model quality baseline needs an inference attribute or a probability attribute.");
        }

        try
        {
            using var reader = Sep.New(',').Reader(o => o with { HasHeader = header, Unescape = true }).From(stream);
            var names = header ? reader.Header.ColNames.ToList() : null;
            var pairs = new List<LabeledPrediction>();
            foreach (var row in reader)
            {
                names ??= Enumerable.Range(0, row.ColCount).Select(i => $"_c{i}").ToList();
                var truth = Column(names, groundTruthAttribute);
                var actual = row[truth].ToString();
                double? probability = probabilityAttribute is null ? null : Metrics.Number(row[Column(names, probabilityAttribute)].ToString(), "probability");
                var predicted = inferenceAttribute is not null
                    ? row[Column(names, inferenceAttribute)].ToString()
                    : probability >= probabilityThreshold ? "1" : "0";
                pairs.Add(new LabeledPrediction(actual, predicted, probability));
            }

            if (pairs.Count == 0)
            {
                throw new MonitoringInputException("The model quality baseline dataset has no records.");
            }

            return pairs;
        }
        catch (InvalidDataException e)
        {
            throw new MonitoringInputException($"The model quality baseline dataset is not valid CSV: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new MonitoringInputException($"The model quality baseline dataset's header is not valid: {e.Message}", e);
        }
    }

    private static int Column(List<string> names, string attribute)
    {
        var index = names.IndexOf(attribute);
        return index >= 0 ? index : throw new MonitoringInputException($"The model quality baseline dataset has no column '{attribute}' (it has {string.Join(", ", names)}).");
    }
}
