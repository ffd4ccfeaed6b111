using System.Formats.Tar;
using System.IO.Compression;
using Kiln.AutoML.Evaluation;
using Kiln.AutoML.Reports;
using Kiln.Core.Artifacts;
using Kiln.Core.AutoML;
using Kiln.Core.Training;
using Kiln.Training.Algorithms;
using Kiln.Training.Algorithms.Ensemble;

namespace Kiln.AutoML.Candidates;

/// <summary>
/// Ensembling: greedy forward selection with replacement (Caruana et al., 2004) over the best candidates' predictions on
/// the validation rows. Each round adds the member that most improves the blend's log loss (MSE for regression), the
/// objective breaking ties: a smooth loss overfits the few validation rows far less than a count of right answers does.
/// The weights are how often each member was picked. The blend is packaged as one model.tar.gz that serves like any
/// other candidate, and scored through the same path.
/// </summary>
public sealed class EnsembleBuilder(CandidateEvaluator evaluator, DataUris data, TimeProvider clock)
{
    public const string Image = "kiln/ensemble:1";
    private const int Pool = 8;
    private const int Rounds = 20;

    public async Task<AutoMLCandidate?> BuildAsync(AutoMLJob job, ValidationSet validation, string work, CancellationToken ct)
    {
        var objective = job.ResolvedObjective!;
        var problem = job.ResolvedProblemType!.Value;
        var pool = AutoMLReports.Ranked(job.Candidates.Where(c => c.Objective is not null && c.Members is null).ToList(), objective).Take(Pool).ToList();
        var members = new List<(AutoMLCandidate Candidate, string Directory, IReadOnlyList<PredictionRow> Predictions, IReadOnlyList<string>? Classes)>();
        foreach (var candidate in pool)
        {
            var (predictor, classes, directory) = await evaluator.LoadAsync(candidate.Name, candidate.ModelDataUrl!, ct).ConfigureAwait(false);
            using (predictor)
            {
                members.Add((candidate, directory, predictor.Predict(validation.Rows), classes));
            }
        }

        var reference = members[0].Classes;
        members = members.Where(m => reference is null ? m.Classes is null : m.Classes?.SequenceEqual(reference) == true).ToList();
        var counts = Greedy(members.Select(m => m.Predictions).ToList(), reference, validation, problem, objective);
        var chosen = Enumerable.Range(0, members.Count).Where(m => counts[m] > 0).ToList();
        if (chosen.Count < 2)
        {
            return null;
        }

        var name = EnsembleName(job.Name);
        var picked = chosen.Select(m => (members[m].Candidate.Name, members[m].Directory, Weight: counts[m] / (double)Rounds)).ToList();
        var weights = picked.ToDictionary(p => p.Name, p => p.Weight.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture));
        var url = $"{job.Spec.OutputPath.TrimEnd('/')}/{job.Name}/ensemble/{name}/model.tar.gz";
        await PackAsync(name, picked.Select(p => (p.Directory, p.Weight)).ToList(), weights, url, work, ct).ConfigureAwait(false);
        var score = await evaluator.ScoreAsync(name, url, validation, problem, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        return new AutoMLCandidate
        {
            Name = name,
            Pipeline = "ensemble",
            Algorithm = EnsembleModel.AlgorithmName,
            Preprocessing = ["Each member's own pipeline", $"Weighted average of the members' {(problem == AutoMLProblemType.Regression ? "predictions" : "class probabilities")}"],
            HyperParameters = weights,
            Status = TrainingJobStatus.Completed,
            Metrics = score.Metrics,
            Objective = score.Metrics.TryGetValue(objective.MetricName, out var value) ? value : null,
            ModelDataUrl = url,
            Image = Image,
            Members = picked.Select(p => new EnsembleMember(p.Name, p.Weight)).ToList(),
            CreationTime = now,
            EndTime = now,
            LastModifiedTime = now,
        };
    }

    /// <summary>
    /// Caruana's selection over out-of-fold predictions: every row of the job is predicted by a model that did not see
    /// it, so the weights are fitted on all the rows rather than the validation fifth. The blend becomes a candidate
    /// only when its cross-validated objective beats the best single candidate's; its members are the candidates'
    /// scored models (refit on every row if it is chosen), and it is scored on the validation rows as well.
    /// </summary>
    public async Task<AutoMLCandidate?> BuildAsync(AutoMLJob job, FoldPlan plan, IReadOnlyList<OutOfFold> outOfFold, IReadOnlyList<string>? classes,
        ValidationSet validation, string work, CancellationToken ct)
    {
        var objective = job.ResolvedObjective!;
        var problem = job.ResolvedProblemType!.Value;
        var byName = job.Candidates.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var pool = objective.Rank(outOfFold.Select(o => byName[o.Candidate]).Where(c => c.CrossValidationFolds is not null)).Take(Pool)
            .Select(c => (Candidate: c, outOfFold.First(o => o.Candidate == c.Name).Predictions)).ToList();
        if (pool.Count < 2)
        {
            return null;
        }

        var counts = Greedy(pool.Select(p => p.Predictions).ToList(), classes, plan.Rows, problem, objective);
        var chosen = Enumerable.Range(0, pool.Count).Where(m => counts[m] > 0).ToList();
        if (chosen.Count < 2)
        {
            return null;
        }

        var total = (double)counts.Sum();
        var blended = Enumerable.Range(0, plan.Rows.Rows.Count)
            .Select(r => EnsembleModel.Blend(chosen.Select(m => pool[m].Predictions[r]).ToList(), chosen.Select(m => counts[m] / total).ToList(), ProblemName(problem), classes))
            .ToList();
        var score = CrossValidator.Score(blended, classes, plan, problem, objective);
        var bestSingle = pool[0].Candidate.Objective!.Value;
        if (!double.IsFinite(score.Mean) || !objective.Better(score.Mean, bestSingle))
        {
            return null;
        }

        var name = EnsembleName(job.Name);
        var picked = new List<(string Name, string Directory, double Weight)>();
        foreach (var m in chosen)
        {
            var candidate = pool[m].Candidate;
            picked.Add((candidate.Name, await evaluator.UnpackAsync(candidate.Name, candidate.ModelDataUrl!, ct).ConfigureAwait(false), counts[m] / total));
        }

        var weights = picked.ToDictionary(p => p.Name, p => p.Weight.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture));
        var url = $"{job.Spec.OutputPath.TrimEnd('/')}/{job.Name}/ensemble/{name}/model.tar.gz";
        await PackAsync(name, picked.Select(p => (p.Directory, p.Weight)).ToList(), weights, url, work, ct).ConfigureAwait(false);
        var holdout = await evaluator.ScoreAsync(name, url, validation, problem, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        var ensemble = new AutoMLCandidate
        {
            Name = name,
            Pipeline = "ensemble",
            Algorithm = EnsembleModel.AlgorithmName,
            Preprocessing = ["Each member's own pipeline", $"Weighted average of the members' {(problem == AutoMLProblemType.Regression ? "predictions" : "class probabilities")}, weights by greedy selection on out-of-fold predictions"],
            HyperParameters = weights,
            Status = TrainingJobStatus.Completed,
            Metrics = holdout.Metrics,
            ModelDataUrl = url,
            Image = Image,
            Members = picked.Select(p => new EnsembleMember(p.Name, p.Weight)).ToList(),
            CreationTime = now,
            EndTime = now,
            LastModifiedTime = now,
        };
        return AutoMLJobRunner.WithCrossValidation(ensemble, score, plan.Count);
    }

    /// <summary>
    /// Greedy forward selection with replacement: <see cref="Rounds"/> times, add the member whose addition gives the
    /// blend the lowest smooth loss (log loss, MSE for regression), the objective breaking ties, and the lower index
    /// (the better ranked member) breaking the rest. Returns how often each member was picked.
    /// </summary>
    public static int[] Greedy(IReadOnlyList<IReadOnlyList<PredictionRow>> members, IReadOnlyList<string>? classes, ValidationSet rows, AutoMLProblemType problem, AutoMLObjective objective)
    {
        var counts = new int[members.Count];
        (double, double) Evaluate(int[] weights)
        {
            var blended = Enumerable.Range(0, rows.Rows.Count)
                .Select(r => EnsembleModel.Blend(members.Select(m => m[r]).ToList(), weights.Select(w => (double)w).ToList(), ProblemName(problem), classes))
                .ToList();
            var metrics = CandidateEvaluator.Metrics(blended, classes, rows, problem);
            var smooth = metrics.GetValueOrDefault(problem == AutoMLProblemType.Regression ? "MSE" : "LogLoss", 0);
            return (smooth, StandardMetrics.Loss(objective, metrics.GetValueOrDefault(objective.MetricName, double.NaN)));
        }

        for (var round = 0; round < Rounds; round++)
        {
            var bestIndex = -1;
            var bestScore = (double.PositiveInfinity, double.PositiveInfinity);
            for (var m = 0; m < members.Count; m++)
            {
                counts[m]++;
                var candidate = Evaluate(counts);
                counts[m]--;
                if (bestIndex < 0 || candidate.CompareTo(bestScore) < 0)
                {
                    (bestIndex, bestScore) = (m, candidate);
                }
            }

            counts[bestIndex]++;
        }

        return counts;
    }

    /// <summary>
    /// Packs member model folders and their weights into one model.tar.gz at <paramref name="url"/>; the manifest is the
    /// first member's (problem, features, classes) with the members' weights as its hyperparameters.
    /// </summary>
    public async Task PackAsync(string name, IReadOnlyList<(string Directory, double Weight)> members, IReadOnlyDictionary<string, string> weights, string url, string work, CancellationToken ct)
    {
        var package = Path.Combine(work, "ensemble", name);
        if (Directory.Exists(package))
        {
            Directory.Delete(package, recursive: true);
        }

        var files = new List<EnsembleMemberFile>();
        foreach (var (directory, weight) in members)
        {
            var folder = $"members/{files.Count}";
            Copy(directory, Path.Combine(package, folder));
            files.Add(new EnsembleMemberFile(folder, weight));
        }

        var manifest = ModelDirectory.ReadManifest(members[0].Directory) with { HyperParameters = weights, TrainedAt = clock.GetUtcNow(), Rounds = null };
        EnsembleModel.Save(package, manifest, files);
        var archive = Path.Combine(work, "ensemble", $"{name}.tar.gz");
        await using (var file = File.Create(archive))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            await TarFile.CreateFromDirectoryAsync(package, gzip, includeBaseDirectory: false, ct).ConfigureAwait(false);
        }

        await data.UploadAsync(archive, url, ct).ConfigureAwait(false);
    }

    public static string EnsembleName(string job) => $"{job}-ensemble";

    private static string ProblemName(AutoMLProblemType problem) => problem == AutoMLProblemType.Regression ? "regression" : "classification";

    private static void Copy(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) == ".ready")
            {
                continue;
            }

            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }
    }
}
