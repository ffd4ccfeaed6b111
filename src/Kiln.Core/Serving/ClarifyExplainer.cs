using Kiln.Core.Common;
using Kiln.Core.Tabular;

namespace Kiln.Core.Serving;

/// <summary>How the model container is called for explanations and how its answer is read (SageMaker's ClarifyInferenceConfig).</summary>
public sealed record ClarifyInferenceSpec(
    string? FeaturesAttribute = null,
    string? ContentTemplate = null,
    int? MaxRecordCount = null,
    int? MaxPayloadInMB = null,
    int? ProbabilityIndex = null,
    int? LabelIndex = null,
    string? ProbabilityAttribute = null,
    string? LabelAttribute = null,
    IReadOnlyList<string>? LabelHeaders = null,
    IReadOnlyList<string>? FeatureHeaders = null,
    IReadOnlyList<string>? FeatureTypes = null);

/// <summary>
/// Online explainability of an endpoint config (SageMaker's ClarifyExplainerConfig): which records to explain
/// (<see cref="EnableExplanations"/>, null explains every record), how to call the model, and Kernel SHAP's
/// settings. The baseline is kept as given, inline CSV text.
/// </summary>
public sealed record ClarifyExplainerSpec(
    string? EnableExplanations,
    ClarifyInferenceSpec? Inference,
    string? BaselineMimeType,
    string Baseline,
    int? NumberOfSamples,
    bool? UseLogit,
    int? Seed)
{
    /// <summary>Kiln runs the synthetic dataset in-process: baseline rows × samples is capped so one request cannot run away.</summary>
    public const int MaxSyntheticRows = 1_000_000;

    /// <summary>The baseline's rows, every one with the same number of columns (checked when the config is created).</summary>
    public IReadOnlyList<string?[]> BaselineRows() => ParseBaseline(Baseline);

    /// <summary>Reads inline CSV baseline rows; throws InvalidParameter when it is empty or ragged.</summary>
    public static IReadOnlyList<string?[]> ParseBaseline(string text)
    {
        var rows = new List<string?[]>();
        try
        {
            using var reader = CsvReader.FromText(text, ragged: true);
            while (reader.Read())
            {
                rows.Add(reader.ToStrings());
            }
        }
        catch (CsvFormatException e)
        {
            throw KilnException.InvalidParameter($"ShapBaseline is not valid CSV: {e.Message}");
        }

        if (rows.Count == 0)
        {
            throw KilnException.InvalidParameter("ShapBaseline has no rows.");
        }

        if (rows.FirstOrDefault(row => row.Length != rows[0].Length) is { } ragged)
        {
            throw KilnException.InvalidParameter($"ShapBaseline rows must have the same number of columns: the first has {rows[0].Length}, another has {ragged.Length}.");
        }

        return rows;
    }
}
