namespace Kiln.Clarify.Bias;

public enum BiasStage
{
    PreTraining,
    PostTraining,
}

/// <summary>A bias metric Clarify knows: its short name and the description analysis.json carries.</summary>
public sealed record BiasMetric(string Name, string Description, BiasStage Stage)
{
    public static readonly IReadOnlyList<BiasMetric> PreTraining =
    [
        new("CI", "Class Imbalance (CI)", BiasStage.PreTraining),
        new("DPL", "Difference in Positive Proportions in Labels (DPL)", BiasStage.PreTraining),
        new("KL", "Kullback-Liebler Divergence (KL)", BiasStage.PreTraining),
        new("JS", "Jensen-Shannon Divergence (JS)", BiasStage.PreTraining),
        new("LP", "L-p Norm (LP)", BiasStage.PreTraining),
        new("TVD", "Total Variation Distance (TVD)", BiasStage.PreTraining),
        new("KS", "Kolmogorov-Smirnov Distance (KS)", BiasStage.PreTraining),
        new("CDDL", "Conditional Demographic Disparity in Labels (CDDL)", BiasStage.PreTraining),
    ];

    public static readonly IReadOnlyList<BiasMetric> PostTraining =
    [
        new("DPPL", "Difference in Positive Proportions in Predicted Labels (DPPL)", BiasStage.PostTraining),
        new("DI", "Disparate Impact (DI)", BiasStage.PostTraining),
        new("DCA", "Difference in Conditional Acceptance (DCA)", BiasStage.PostTraining),
        new("DCR", "Difference in Conditional Rejection (DCR)", BiasStage.PostTraining),
        new("RD", "Recall Difference (RD)", BiasStage.PostTraining),
        new("SD", "Specificity Difference (SD)", BiasStage.PostTraining),
        new("DAR", "Difference in Acceptance Rates (DAR)", BiasStage.PostTraining),
        new("DRR", "Difference in Rejection Rates (DRR)", BiasStage.PostTraining),
        new("AD", "Accuracy Difference (AD)", BiasStage.PostTraining),
        new("CDDPL", "Conditional Demographic Disparity in Predicted Labels (CDDPL)", BiasStage.PostTraining),
        new("TE", "Treatment Equality (TE)", BiasStage.PostTraining),
        new("FT", "Flip Test (FT)", BiasStage.PostTraining),
        new("GE", "Generalized Entropy (GE)", BiasStage.PostTraining),
    ];

    /// <summary>AWS's documentation calls DCA "DCAcc"; both names select it.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal) { ["DCAcc"] = "DCA" };

    /// <summary>
    /// The metrics a "methods" selection names, sorted by name as Clarify reports them; "all" selects every one.
    /// </summary>
    public static IReadOnlyList<BiasMetric> Select(IReadOnlyList<string> names, BiasStage stage)
    {
        var known = stage == BiasStage.PreTraining ? PreTraining : PostTraining;
        if (names.Count == 1 && names[0] == "all")
        {
            return [.. known.OrderBy(m => m.Name, StringComparer.Ordinal)];
        }
        var selected = new List<BiasMetric>();
        foreach (var name in names)
        {
            var canonical = Aliases.GetValueOrDefault(name, name);
            var metric = known.FirstOrDefault(m => m.Name == canonical)
                ?? throw new Config.ClarifyValidationException(
                    $"Unknown {(stage == BiasStage.PreTraining ? "pre_training_bias" : "post_training_bias")} method '{name}'. " +
                    $"Valid methods are \"all\" or any of: {string.Join(", ", known.Select(m => m.Name))}.");
            if (!selected.Contains(metric))
            {
                selected.Add(metric);
            }
        }
        return [.. selected.OrderBy(m => m.Name, StringComparer.Ordinal)];
    }
}
