using Kiln.AutoML.Evaluation;
using Kiln.Core.AutoML;
using Kiln.Core.Common;
using Kiln.Core.Tracking;
using Kiln.Core.Training;
using Kiln.Training.Algorithms;
using Microsoft.Extensions.Logging;

namespace Kiln.AutoML.Candidates;

/// <summary>
/// Refitting, as FLAML and AutoGluon do before they hand a model over: the best candidate (each member, for an
/// ensemble) trains again with the same hyperparameters on every row of the job, training and validation, so the
/// model that serves has learned from a quarter more rows than the one that was scored. Boosted trees keep the
/// number of rounds early stopping chose, as no held-out rows are left to stop on. The candidate's metrics stay
/// those of the scored model, the honest estimate.
/// </summary>
public sealed partial class CandidateRefitter(
    TrainingJobService training,
    TrainingJobEvents events,
    CandidateEvaluator evaluator,
    EnsembleBuilder ensembles,
    TimeProvider clock,
    ILogger<CandidateRefitter> logger)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The refit model's model.tar.gz, or null when the job has no combined rows, a refit did not complete, or
    /// <paramref name="stop"/> fired (the scored model then serves).
    /// </summary>
    public async Task<string?> RefitAsync(AutoMLJob job, AutoMLCandidate candidate, string work, CancellationToken stop, CancellationToken ct)
    {
        if (job.AllRowsUri is not { } rows)
        {
            return null;
        }

        if (candidate.Members is not { } members)
        {
            return await WaitAsync(await StartAsync(candidate, rows, ct).ConfigureAwait(false), stop, ct).ConfigureAwait(false);
        }

        // Start every member first, so they train side by side on the job engine.
        var byName = job.Candidates.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var started = new List<(string Job, double Weight)>();
        foreach (var member in members)
        {
            started.Add((await StartAsync(byName[member.Candidate], rows, ct).ConfigureAwait(false), member.Weight));
        }

        var refit = new List<(string Directory, double Weight)>();
        foreach (var (name, weight) in started)
        {
            if (await WaitAsync(name, stop, ct).ConfigureAwait(false) is not { } url)
            {
                return null;
            }

            refit.Add((await evaluator.UnpackAsync(name, url, ct).ConfigureAwait(false), weight));
        }

        var target = $"{job.Spec.OutputPath.TrimEnd('/')}/{job.Name}/ensemble/{candidate.Name}/refit/model.tar.gz";
        await ensembles.PackAsync($"{candidate.Name}-refit", refit, candidate.HyperParameters, target, work, ct).ConfigureAwait(false);
        return target;
    }

    public static string RefitName(string candidate) => $"{candidate}-refit";

    /// <summary>
    /// The candidate's hyperparameters for training it again on other rows: boosted trees keep the number of rounds
    /// early stopping chose (under their algorithm's own parameter name) and stop early no more.
    /// </summary>
    public static Dictionary<string, string> WithRoundsFixed(IReadOnlyDictionary<string, string> hyperParameters, string modelDirectory)
    {
        var fixedRounds = hyperParameters.ToDictionary(StringComparer.Ordinal);
        fixedRounds.Remove("early_stopping_rounds");
        if (ModelDirectory.IsPackage(modelDirectory) && ModelDirectory.ReadManifest(modelDirectory) is { Rounds: { } rounds } manifest)
        {
            fixedRounds[manifest.Algorithm == "lightgbm" ? "num_boost_round" : "num_round"] = rounds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return fixedRounds;
    }

    /// <summary>Creates the refit training job from the candidate's own (a restart finds it already there and goes on with it).</summary>
    private async Task<string> StartAsync(AutoMLCandidate candidate, string rows, CancellationToken ct)
    {
        var original = await training.DescribeAsync(candidate.Name, ct).ConfigureAwait(false);
        var directory = await evaluator.UnpackAsync(candidate.Name, candidate.ModelDataUrl!, ct).ConfigureAwait(false);
        var hyperParameters = WithRoundsFixed(original.Spec.HyperParameters, directory);

        var name = RefitName(candidate.Name);
        var spec = original.Spec with
        {
            Name = name,
            HyperParameters = hyperParameters,
            Channels = [new InputChannel("train", rows, "text/csv;header=present")],
            TuningJobName = null,
            TuningDefinitionName = null,
            Tags = [.. original.Spec.Tags, new Tag("kiln:refit-of", candidate.Name)],
        };
        try
        {
            await training.CreateAsync(spec, ct).ConfigureAwait(false);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceInUse)
        {
            // Created before a restart.
        }

        return name;
    }

    private async Task<string?> WaitAsync(string name, CancellationToken stop, CancellationToken ct)
    {
        while (true)
        {
            var job = await training.DescribeAsync(name, ct).ConfigureAwait(false);
            if (stop.IsCancellationRequested && !job.IsFinished && !job.StopRequested)
            {
                await training.StopAsync(name, ct).ConfigureAwait(false);
            }

            if (job.IsFinished)
            {
                if (job.Status == TrainingJobStatus.Completed && job.ModelArtifacts is { } url)
                {
                    return url;
                }

                LogRefitFailed(name, job.Status.ToString(), job.FailureReason ?? "");
                return null;
            }

            await events.WaitAsync(Poll, clock, ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refit {Name} ended {Status} ({Reason}); the scored model serves instead")]
    private partial void LogRefitFailed(string name, string status, string reason);
}
