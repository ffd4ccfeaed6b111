using Kiln.Api.SageMaker.Generated;
using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Api.SageMaker;

/// <summary>
/// An endpoint config's ExplainerConfig (Clarify online explainability) to and from the domain's
/// <see cref="ClarifyExplainerSpec"/>, refusing what Kiln cannot serve when the config is created rather than
/// on the first invocation: an invalid or unsupported EnableExplanations, a missing or ragged baseline, a
/// baseline whose width disagrees with FeatureHeaders or FeatureTypes, text features, and a synthetic dataset
/// (baseline rows × NumberOfSamples) over Kiln's in-process cap.
/// </summary>
internal static class ExplainerConfigs
{
    public static ClarifyExplainerSpec? ToSpec(ExplainerConfig? config)
    {
        if (config?.ClarifyExplainerConfig is not { } clarify)
        {
            return null;
        }

        try
        {
            return Validated(clarify);
        }
        catch (KilnException e) when (e.Code is ErrorCode.InvalidParameterValue)
        {
            throw new SageMakerException("ValidationException", e.Message);
        }
    }

    private static ClarifyExplainerSpec Validated(ClarifyExplainerConfig clarify)
    {
        if (clarify.EnableExplanations is { } expression)
        {
            ExplanationFilter.Parse(expression);
        }

        var shap = clarify.ShapConfig!;
        if (shap.TextConfig is not null)
        {
            throw KilnException.InvalidParameter("ShapConfig.TextConfig is not supported: Kiln explains tabular records only (no text features).");
        }

        var baselineConfig = shap.ShapBaselineConfig!;
        if (baselineConfig.ShapBaselineUri is not null)
        {
            throw KilnException.InvalidParameter("ShapBaselineConfig.ShapBaselineUri is not supported: give the baseline inline as CSV in ShapBaseline.");
        }

        if (baselineConfig.MimeType is { } mime && !mime.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            throw KilnException.InvalidParameter($"ShapBaselineConfig.MimeType {mime} is not supported: Kiln reads a text/csv baseline.");
        }

        var baseline = baselineConfig.ShapBaseline
            ?? throw KilnException.InvalidParameter("ShapBaselineConfig needs a ShapBaseline (inline CSV records).");
        var rows = ClarifyExplainerSpec.ParseBaseline(baseline);
        var width = rows[0].Length;
        var inference = clarify.InferenceConfig;
        if (inference?.FeatureTypes?.FirstOrDefault(type => type != "numerical" && type != "categorical") is { } other)
        {
            throw KilnException.InvalidParameter($"FeatureTypes '{other}' is not supported: Kiln explains numerical and categorical features.");
        }

        foreach (var (name, list) in new[] { ("FeatureHeaders", inference?.FeatureHeaders), ("FeatureTypes", inference?.FeatureTypes) })
        {
            if (list is not null && list.Count != width)
            {
                throw KilnException.InvalidParameter($"ShapBaseline has {width} columns but InferenceConfig.{name} has {list.Count} entries.");
            }
        }

        if (inference?.FeaturesAttribute is not null || inference?.ContentTemplate is not null)
        {
            throw KilnException.InvalidParameter("InferenceConfig.FeaturesAttribute and ContentTemplate (JSON requests) are not supported: Kiln explains text/csv requests.");
        }

        var samples = shap.NumberOfSamples ?? 0;
        if ((long)rows.Count * samples > ClarifyExplainerSpec.MaxSyntheticRows)
        {
            throw KilnException.InvalidParameter(
                $"NumberOfSamples {samples} with {rows.Count} baseline records makes a synthetic dataset over Kiln's limit of {ClarifyExplainerSpec.MaxSyntheticRows} records.");
        }

        return new ClarifyExplainerSpec(
            clarify.EnableExplanations,
            inference is null
                ? null
                : new ClarifyInferenceSpec(
                    inference.FeaturesAttribute, inference.ContentTemplate, inference.MaxRecordCount, inference.MaxPayloadInMB,
                    inference.ProbabilityIndex, inference.LabelIndex, inference.ProbabilityAttribute, inference.LabelAttribute,
                    inference.LabelHeaders, inference.FeatureHeaders, inference.FeatureTypes),
            baselineConfig.MimeType,
            baseline,
            shap.NumberOfSamples,
            shap.UseLogit,
            shap.Seed);
    }

    public static ExplainerConfig? ToShape(ClarifyExplainerSpec? spec) =>
        spec is null
            ? null
            : new ExplainerConfig
            {
                ClarifyExplainerConfig = new ClarifyExplainerConfig
                {
                    EnableExplanations = spec.EnableExplanations,
                    InferenceConfig = spec.Inference is not { } inference
                        ? null
                        : new ClarifyInferenceConfig
                        {
                            FeaturesAttribute = inference.FeaturesAttribute,
                            ContentTemplate = inference.ContentTemplate,
                            MaxRecordCount = inference.MaxRecordCount,
                            MaxPayloadInMB = inference.MaxPayloadInMB,
                            ProbabilityIndex = inference.ProbabilityIndex,
                            LabelIndex = inference.LabelIndex,
                            ProbabilityAttribute = inference.ProbabilityAttribute,
                            LabelAttribute = inference.LabelAttribute,
                            LabelHeaders = inference.LabelHeaders?.ToList(),
                            FeatureHeaders = inference.FeatureHeaders?.ToList(),
                            FeatureTypes = inference.FeatureTypes?.ToList(),
                        },
                    ShapConfig = new ClarifyShapConfig
                    {
                        ShapBaselineConfig = new ClarifyShapBaselineConfig { MimeType = spec.BaselineMimeType, ShapBaseline = spec.Baseline },
                        NumberOfSamples = spec.NumberOfSamples,
                        UseLogit = spec.UseLogit,
                        Seed = spec.Seed,
                    },
                },
            };
}
