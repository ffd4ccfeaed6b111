using Kiln.AutoML.Evaluation;
using Kiln.AutoML.Reports;
using Kiln.Core.AutoML;
using Kiln.Core.Training;

namespace Kiln.AutoML.Candidates;

/// <summary>
/// Picks the candidate that deploys, by the one-standard-error rule (Breiman et al., 1984; Hastie, Tibshirani and
/// Friedman, §7.10): the top candidate's objective is uncertain by its standard error on the validation rows
/// (estimated by bootstrap), so every candidate within one standard error of it is as good as far as the data can tell,
/// and of those the least flexible model wins (linear before boosted trees before an ensemble), then the better objective.
/// When the candidates were cross-validated, their objective is the mean over the folds of every row and its standard
/// error the folds' standard deviation over √k, which no longer hinges on the hundred validation rows.
/// On a hundred validation rows, accuracy moves by a row or two between equally good models; a flexible model that
/// edges ahead by one row is more often lucky than better.
/// </summary>
public sealed class BestCandidateRule(CandidateEvaluator evaluator)
{
    private const int Resamples = 200;
    private const int Seed = 11;

    public async Task<(AutoMLCandidate? Best, double StandardError)> ChooseAsync(AutoMLJob job, ValidationSet validation, CancellationToken ct)
    {
        var objective = job.ResolvedObjective!;
        var ranked = AutoMLReports.Ranked(job.Candidates, objective).Where(c => c.Objective is not null).ToList();
        if (ranked.Count == 0)
        {
            return (null, 0);
        }

        // Cross-validated candidates compete among themselves, on their scores over every row: the standard error is
        // that of the top candidate's mean over the folds. The others (cross-validation ran out of time) stand aside.
        var validated = ranked.Where(c => c.CrossValidationFolds is > 1 && c.ObjectiveStandardDeviation is not null).ToList();
        if (validated.Count > 0)
        {
            var spread = validated[0].ObjectiveStandardDeviation!.Value / Math.Sqrt(validated[0].CrossValidationFolds!.Value);
            return (Choose(validated, objective, spread), spread);
        }

        var top = ranked[0];
        var problem = job.ResolvedProblemType!.Value;
        var (predictor, classes, _) = await evaluator.LoadAsync(top.Name, top.ModelDataUrl!, ct).ConfigureAwait(false);
        double error;
        using (predictor)
        {
            error = StandardError(predictor.Predict(validation.Rows), classes, validation, problem, objective);
        }

        return (Choose(ranked, objective, error), error);
    }

    /// <summary>Of <paramref name="ranked"/> (scored, best first), the least flexible within <paramref name="standardError"/> of the first; the higher ranked among equals.</summary>
    public static AutoMLCandidate Choose(IReadOnlyList<AutoMLCandidate> ranked, AutoMLObjective objective, double standardError)
    {
        var worst = StandardMetrics.Loss(objective, ranked[0].Objective!.Value) + standardError;
        return ranked
            .Select((candidate, rank) => (candidate, rank))
            .Where(pair => StandardMetrics.Loss(objective, pair.candidate.Objective!.Value) <= worst)
            .OrderBy(pair => Flexibility(pair.candidate.Algorithm))
            .ThenBy(pair => pair.rank)
            .First().candidate;
    }

    /// <summary>How far a model of the algorithm can bend to its training rows: linear models least, boosted trees more, ensembles most.</summary>
    public static int Flexibility(string algorithm) => algorithm switch
    {
        "linear-learner" or "blazingtext" => 0,
        "xgboost" or "lightgbm" => 1,
        _ => 2,
    };

    /// <summary>The standard deviation of the objective over bootstrap resamples of the validation rows (seeded, so a job chooses the same way every time).</summary>
    public static double StandardError(IReadOnlyList<PredictionRow> predictions, IReadOnlyList<string>? classes, ValidationSet validation,
        AutoMLProblemType problem, AutoMLObjective objective)
    {
        var random = new Random(Seed);
        var values = new List<double>(Resamples);
        var count = validation.Rows.Count;
        var indices = new int[count];
        for (var r = 0; r < Resamples; r++)
        {
            for (var i = 0; i < count; i++)
            {
                indices[i] = random.Next(count);
            }

            var value = CandidateEvaluator.Metrics(indices.Select(i => predictions[i]).ToList(), classes, validation.Resampled(indices), problem)
                .GetValueOrDefault(objective.MetricName, double.NaN);
            if (double.IsFinite(value))
            {
                values.Add(value);
            }
        }

        if (values.Count < 2)
        {
            return 0;
        }

        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}
