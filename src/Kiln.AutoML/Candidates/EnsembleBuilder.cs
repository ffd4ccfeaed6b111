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
        var counts = new int[members.Count];
        (double, double) Evaluate(int[] weights)
        {
            var blended = Enumerable.Range(0, validation.Rows.Count)
                .Select(r => EnsembleModel.Blend(members.Select(m => m.Predictions[r]).ToList(), weights.Select(w => (double)w).ToList(), ProblemName(problem), reference))
                .ToList();
            var metrics = CandidateEvaluator.Metrics(blended, reference, validation, problem);
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
                if (candidate.CompareTo(bestScore) < 0)
                {
                    (bestIndex, bestScore) = (m, candidate);
                }
            }

            counts[bestIndex]++;
        }

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
