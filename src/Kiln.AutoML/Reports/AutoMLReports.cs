using System.Globalization;
using Kiln.AutoML.Data;
using Kiln.AutoML.Evaluation;
using Kiln.Core.AutoML;
using Kiln.Core.Training;

namespace Kiln.AutoML.Reports;

/// <summary>The pages an AutoML job leaves beside its candidates: data exploration, the candidates, the best one's insights and explanation.</summary>
internal static class AutoMLReports
{
    private const int SampleRows = 10;

    public static string DataExploration(string job, TableProfile profile, AutoMLProblemType problem, int trainRows, int validationRows)
    {
        var page = new Html($"Data exploration: {job}", $"{profile.Rows} rows, {profile.Columns.Count} feature columns, target '{profile.Target}', problem type {problem}. " +
            $"Candidates train on {trainRows} rows and are scored on {validationRows} held-out rows.");

        page.Heading(2, "Target");
        if (problem == AutoMLProblemType.Regression && profile.TargetColumn.Numbers is { } target)
        {
            page.Raw(Svg.Columns($"Distribution of {profile.Target}", BinLabels(target), target.Histogram.Select(v => (double)v).ToList(), 520));
            page.Table(["mean", "std", "min", "median", "max"], [[Html.Number(target.Mean), Html.Number(target.StandardDeviation), Html.Number(target.Min), Html.Number(target.Median), Html.Number(target.Max)]]);
        }
        else
        {
            var counts = profile.TargetCounts.Take(30).ToList();
            page.Raw(Svg.Columns($"Rows per class of {profile.Target}", counts.Select(c => c.Value).ToList(), counts.Select(c => (double)c.Count).ToList(), Math.Max(360, counts.Count * 40)));
            page.Table(["class", "rows", "share"], counts.Select(c => (IReadOnlyList<string>)[c.Value, c.Count.ToString(CultureInfo.InvariantCulture), Percent(c.Count, profile.Rows)]));
            var smallest = profile.TargetCounts.Min(c => c.Count);
            var largest = profile.TargetCounts.Max(c => c.Count);
            if (largest > 4 * smallest)
            {
                page.Paragraph($"The classes are imbalanced (largest {largest} rows, smallest {smallest}): accuracy alone can mislead; F1 and balanced accuracy are reported too.", "warn");
            }
        }

        page.Heading(2, "Missing values");
        var missing = profile.Columns.Where(c => c.Missing > 0).OrderByDescending(c => c.Missing).ToList();
        if (missing.Count == 0)
        {
            page.Paragraph("No column has missing values.");
        }
        else
        {
            page.Raw(Svg.Bars("Share of rows missing", missing.Take(40).Select(c => (c.Name, c.Missing / (double)profile.Rows)).ToList(), format: "P1"));
        }

        page.Heading(2, "Columns");
        page.Table(["column", "kind", "missing", "distinct", "mean", "std", "min", "25%", "50%", "75%", "max", "correlation with target", "commonest values"],
            profile.Columns.Select(c => (IReadOnlyList<string>)
            [
                c.Name, c.Kind.ToString(), c.Missing.ToString(CultureInfo.InvariantCulture), c.Distinct.ToString(CultureInfo.InvariantCulture),
                N(c.Numbers?.Mean), N(c.Numbers?.StandardDeviation), N(c.Numbers?.Min), N(c.Numbers?.Q1), N(c.Numbers?.Median), N(c.Numbers?.Q3), N(c.Numbers?.Max),
                N(c.TargetCorrelation), c.Kind == ColumnKind.Numeric ? "" : string.Join(", ", c.TopValues.Take(5).Select(v => $"{Clip(v.Value, 24)} ({v.Count})")),
            ]));

        var correlated = profile.Columns.Where(c => c.TargetCorrelation is not null).OrderByDescending(c => Math.Abs(c.TargetCorrelation!.Value)).Take(20).ToList();
        if (correlated.Count > 0)
        {
            page.Raw(Svg.Bars("Pearson correlation with the target (strongest 20)", correlated.Select(c => (c.Name, c.TargetCorrelation!.Value)).ToList()));
        }

        var highCardinality = profile.Columns.Where(c => c.Kind == ColumnKind.Categorical && c.Distinct > 64).ToList();
        if (highCardinality.Count > 0)
        {
            page.Paragraph($"High cardinality: {string.Join(", ", highCardinality.Select(c => $"{c.Name} ({c.Distinct} values)"))}; the 64 commonest values of each are encoded, the rest share one code.", "warn");
        }

        page.Heading(2, "Correlated features");
        if (profile.CorrelatedPairs.Count == 0)
        {
            page.Paragraph("No pair of numeric columns has |r| ≥ 0.9.");
        }
        else
        {
            page.Paragraph($"{profile.CorrelatedPairs.Count} pairs of numeric columns have |r| ≥ 0.9; they carry overlapping information (trees cope, linear weights split between them).");
            page.Table(["column", "column", "Pearson r"], profile.CorrelatedPairs.Take(25).Select(p => (IReadOnlyList<string>)[p.A, p.B, Html.Number(p.R, "F3")]));
        }

        page.Heading(2, "Numeric distributions");
        var grid = string.Concat(profile.Columns.Where(c => c.Numbers is not null).Take(24)
            .Select(c => $"<div class=\"card\">{Svg.Columns(c.Name, BinLabels(c.Numbers!), c.Numbers!.Histogram.Select(v => (double)v).ToList(), 260, 150)}</div>"));
        page.Raw($"<div class=\"grid\">{grid}</div>");

        page.Heading(2, "Sample rows");
        page.Table(profile.Table.Columns, profile.Table.Rows.Take(SampleRows).Select(row => (IReadOnlyList<string>)row.Select(cell => Clip(TableProfile.Text(cell) ?? "", 60)).ToList()));
        return page.ToString();
    }

    public static string Candidates(AutoMLJob job, IReadOnlyList<AutoMLCandidate> candidates)
    {
        var objective = job.ResolvedObjective!;
        var ranked = Ranked(candidates, objective);
        var folds = candidates.Select(c => c.CrossValidationFolds).FirstOrDefault(f => f is not null);
        var page = new Html($"Candidates: {job.Name}", folds is { } k
            ? $"{candidates.Count} candidates, ranked by {objective.MetricName} cross-validated on {k} folds of every row, training and validation ({(objective.Maximize ? "higher" : "lower")} is better). " +
              "The metrics are the means over the folds; ± is the objective's standard deviation across them. Each fold's model trains with the candidate's hyperparameters on the other folds."
            : $"{candidates.Count} candidates, ranked by {objective.MetricName} on the validation rows ({(objective.Maximize ? "higher" : "lower")} is better). " +
              "Every candidate is scored by loading its model.tar.gz as an endpoint would and predicting the same rows.");
        var metricNames = AutoMLJobService.MetricsFor(job.ResolvedProblemType!.Value).Append("InferenceLatency").ToList();

        page.Heading(2, "Leaderboard");
        page.Table(["rank", "candidate", "pipeline", "algorithm", "status", $"{objective.MetricName} (CV mean ± std)", $"{objective.MetricName} (validation rows)", .. metricNames],
            ranked.Select((c, i) => (IReadOnlyList<string>)
            [
                (i + 1).ToString(CultureInfo.InvariantCulture), c.Name, c.Pipeline, c.Algorithm, c.Status.ToString(),
                c is { CrossValidationFolds: not null, Objective: { } mean, ObjectiveStandardDeviation: { } std } ? $"{Html.Number(mean)} ± {Html.Number(std)}" : "",
                (c.HoldoutMetrics ?? c.Metrics).TryGetValue(objective.MetricName, out var held) ? Html.Number(held) : "",
                .. metricNames.Select(m => c.Metrics.TryGetValue(m, out var v) ? Html.Number(v) : ""),
            ]),
            i => ranked[i].Name == job.BestCandidateName);
        if (job.Best is { Objective: { } chosen } bestCandidate && job.BestObjectiveStandardError is { } error)
        {
            page.Paragraph($"The best candidate, {bestCandidate.Name} ({bestCandidate.Algorithm}, {objective.MetricName} {Html.Number(chosen)}), was chosen by the one-standard-error rule: " +
                $"the top {objective.MetricName} is uncertain by ±{Html.Number(error)} " +
                (bestCandidate.CrossValidationFolds is { } n ? $"(its standard deviation over the {n} folds, over √{n})" : "on these rows (bootstrap standard error)") +
                ", so of the candidates within that of the top, the least flexible model (linear, then boosted trees, then an ensemble) is the one deployed.");
        }

        if (candidates.FirstOrDefault(c => c.Members is not null) is { Members: { } members } ensemble)
        {
            page.Heading(2, "Ensemble");
            page.Paragraph($"{ensemble.Name} blends {members.Count} candidates by greedy ensemble selection with replacement (Caruana et al., 2004) on " +
                (ensemble.CrossValidationFolds is not null ? "their out-of-fold predictions of every row" : "their predictions of the validation rows") +
                $": its {objective.MetricName} is {(ensemble.Objective is { } e ? Html.Number(e) : "–")}" +
                (ensemble.ObjectiveStandardDeviation is { } s ? $" ± {Html.Number(s)}" : "") + ".");
            var byName = candidates.ToDictionary(c => c.Name, StringComparer.Ordinal);
            page.Table(["member", "pipeline", "weight", $"{objective.MetricName} alone"],
                members.Select(m => (IReadOnlyList<string>)
                [
                    m.Candidate, byName.GetValueOrDefault(m.Candidate)?.Pipeline ?? "", Html.Number(m.Weight),
                    byName.GetValueOrDefault(m.Candidate)?.Objective is { } v ? Html.Number(v) : "",
                ]));
        }
        else if (folds is not null && AutoMLJobRunner.ResolvedMode(job) == AutoMLMode.Ensembling)
        {
            page.Paragraph("No ensemble: a greedy blend of the candidates' out-of-fold predictions did not beat the best single candidate's cross-validated score.");
        }

        if (job.Best is { RefitModelDataUrl: { } refit } refitBest)
        {
            page.Paragraph($"The best candidate, {refitBest.Name}, was then retrained with the same hyperparameters on every row (training and validation); " +
                $"that model ({refit}) is the one its inference containers serve. The metrics above are the scored model's, measured on rows it had not seen.");
        }

        var scored = candidates.OrderBy(c => c.CreationTime).Where(c => c.Objective is not null).ToList();
        if (scored.Count > 0)
        {
            var best = scored.FindIndex(c => c.Name == job.BestCandidateName);
            page.Raw(Svg.Scatter($"{objective.MetricName} of each candidate, in the order trained", "candidate (training order)", objective.MetricName,
                scored.Select((c, i) => ((double)i + 1, c.Objective!.Value, $"{c.Name} ({c.Pipeline}): {Html.Number(c.Objective!.Value)}")).ToList(), best < 0 ? null : best));
        }

        page.Heading(2, "Pipelines");
        foreach (var group in candidates.GroupBy(c => c.Pipeline).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var first = group.First();
            var bestOfPipeline = Ranked(group.ToList(), objective).FirstOrDefault();
            page.Heading(3, $"{group.Key}: {first.Algorithm}");
            page.Paragraph($"Preprocessing: {string.Join(" → ", first.Preprocessing)} → {first.Algorithm}. {group.Count()} candidates; best {objective.MetricName} " +
                $"{(bestOfPipeline?.Objective is { } value ? Html.Number(value) : "–")}.");
        }

        page.Heading(2, "Every candidate");
        page.Table(["candidate", "pipeline", "hyperparameters", objective.MetricName, "status", "note"],
            ranked.Select(c => (IReadOnlyList<string>)
            [
                c.Name, c.Pipeline,
                string.Join(", ", c.HyperParameters.Where(p => p.Key is not ("target_column" or "text_column")).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")),
                c.Objective is { } v ? Html.Number(v) : "", c.Status.ToString(), c.FailureReason ?? "",
            ]));
        return page.ToString();
    }

    /// <summary>GenerateCandidateDefinitionsOnly: the pipelines that would be trained, with their fixed values and searched ranges.</summary>
    public static string CandidateDefinitions(AutoMLJob job, IReadOnlyList<Candidates.CandidatePipeline> pipelines)
    {
        var page = new Html($"Candidate definitions: {job.Name}", $"{pipelines.Count} candidate pipelines for {job.ResolvedProblemType}, to be tuned on {job.ResolvedObjective?.MetricName}. Nothing was trained.");
        foreach (var pipeline in pipelines)
        {
            page.Heading(2, $"{pipeline.Name}: {pipeline.Algorithm}");
            page.Paragraph($"Preprocessing: {string.Join(" → ", pipeline.Preprocessing)}. Image {pipeline.Image}. Tuned on {pipeline.TuningObjective.MetricName}.");
            page.Table(["hyperparameter", "value or range", "scaling"],
                [
                    .. pipeline.StaticHyperParameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (IReadOnlyList<string>)[p.Key, p.Value, "fixed"]),
                    .. pipeline.Ranges.Select(r => (IReadOnlyList<string>)[r.Name, r.Values is { } values ? string.Join(", ", values) : $"{Html.Number(r.Min)} to {Html.Number(r.Max)}", r.Scaling.ToString()]),
                ]);
        }

        return page.ToString();
    }

    public static string ModelInsights(AutoMLJob job, AutoMLCandidate best, CandidateScore score, ValidationSet validation)
    {
        var page = new Html($"Model insights: {best.Name}", $"The best candidate of {job.Name}: {best.Pipeline} ({best.Algorithm}), scored on {validation.Rows.Count} validation rows.");
        page.Heading(2, "Metrics");
        page.Table(["metric", "value"], score.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => (IReadOnlyList<string>)[m.Key, Html.Number(m.Value)]));
        if (job.ResolvedProblemType == AutoMLProblemType.Regression)
        {
            var residuals = validation.Values.Zip(score.Predictions, (actual, p) => (actual, p.Value)).ToList();
            page.Raw(Svg.Scatter("Predicted against actual", "actual", "predicted",
                residuals.Select(r => (r.actual, r.Value, $"actual {Html.Number(r.actual)}, predicted {Html.Number(r.Value)}")).ToList(), null));
        }
        else
        {
            var classes = score.Classes ?? validation.Labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var shown = classes.Take(20).ToList();
            var counts = new int[shown.Count, shown.Count];
            for (var i = 0; i < validation.Labels.Count; i++)
            {
                var actual = shown.IndexOf(validation.Labels[i]);
                var predicted = score.Predictions[i].Label is { } label ? shown.IndexOf(label) : -1;
                if (actual >= 0 && predicted >= 0)
                {
                    counts[actual, predicted]++;
                }
            }

            page.Raw(Svg.Grid("Confusion matrix", shown, counts));
        }

        page.Heading(2, "Hyperparameters");
        page.Table(["name", "value"], best.HyperParameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (IReadOnlyList<string>)[p.Key, p.Value]));
        page.Heading(2, "Preprocessing");
        page.Paragraph(string.Join(" → ", best.Preprocessing));
        return page.ToString();
    }

    public static string Explainability(AutoMLJob job, AutoMLCandidate best, IReadOnlyList<(string Column, double Importance)> importance, string measure)
    {
        var page = new Html($"Explainability: {best.Name}", $"Permutation importance of each column for the best candidate of {job.Name}: how much {measure} on the validation rows worsens " +
            "when the column's values are shuffled among the rows (mean of three shuffles). Larger means the model leans on it more; near zero or negative means it does not.");
        var total = importance.Sum(i => Math.Max(0, i.Importance));
        page.Raw(Svg.Bars("Feature importance", importance.Take(30).Select(i => (i.Column, i.Importance)).ToList()));
        page.Table(["column", "importance", "share"], importance.Select(i => (IReadOnlyList<string>)
            [i.Column, Html.Number(i.Importance), total > 0 ? Percent(Math.Max(0, i.Importance), total) : ""]));
        return page.ToString();
    }

    public static List<AutoMLCandidate> Ranked(IReadOnlyList<AutoMLCandidate> candidates, AutoMLObjective objective) => objective.Rank(candidates);

    private static List<string> BinLabels(NumericSummary numbers)
    {
        var width = (numbers.Max - numbers.Min) / TableProfile.HistogramBins;
        return Enumerable.Range(0, TableProfile.HistogramBins).Select(i => Html.Number(numbers.Min + (i * width), "G3")).ToList();
    }

    private static string N(double? value) => value is { } v ? Html.Number(v) : "";

    private static string Percent(double part, double whole) => (part / whole).ToString("P1", CultureInfo.InvariantCulture);

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
