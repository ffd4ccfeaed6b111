using System.Collections.Concurrent;
using System.Globalization;
using Kiln.Core.Training;
using Kiln.Core.Tuning;

namespace Kiln.Tuning.EarlyStopping;

/// <summary>
/// Early stopping for the trials of tuning jobs, decided as a trial reports its objective metric step by step:
/// <list type="bullet">
/// <item><b>TrainingJobEarlyStoppingType Auto</b> — SageMaker's median rule: a trial stops at step t when the best
/// objective it has reached is worse than the median of the running averages, up to step t, of the previous trials
/// (once two have reached step t): those that completed, and those launched before it that are still running and
/// have passed step t, so that trials run in parallel are judged without waiting for their siblings to end.</item>
/// <item><b>Hyperband</b> — asynchronous successive halving (Li et al., "A System for Massively Parallel
/// Hyperparameter Tuning", 2020): rungs at MinResource × 3^k steps; a trial reaching a rung goes on only if its
/// objective is in the best third of the trials that reached that rung.</item>
/// </list>
/// The curves of finished trials come from <see cref="ITrialCurves"/> (the tracked runs), so the rule holds on
/// whichever node runs a trial.
/// </summary>
public sealed class TuningStopRule(ITuningJobStore store, ITrialCurves curves, TimeProvider clock) : ITrainingStopRule
{
    private const int MinimumPreviousTrials = 2;
    private const int MinimumStep = 3;
    private const int Reduction = 3;
    // Trials on small data last well under a second: what finished must be seen within a few rounds.
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(10);

    private readonly ConcurrentDictionary<string, (TuningJob Job, DateTimeOffset Read)> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, double> _bestSoFar = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyList<(long Step, double Value)>> _finishedCurves = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Job, long Rung), ConcurrentDictionary<string, double>> _rungs = new();
    private readonly ConcurrentDictionary<string, TrainingJobStatus> _ended = new(StringComparer.Ordinal);
    // What each trial on this node has reported so far: a running trial's tracked metrics are written in batches.
    private readonly ConcurrentDictionary<string, LiveCurve> _liveCurves = new(StringComparer.Ordinal);

    public string? ShouldStop(TrainingJobSpec job, string metric, long step, double value)
    {
        if (job.TuningJobName is not { } tuningName || double.IsNaN(value) || Job(tuningName) is not { } tuning)
        {
            return null;
        }

        var definition = tuning.Spec.Definitions.FirstOrDefault(d => d.Name == job.TuningDefinitionName) ?? tuning.Spec.Definitions[0];
        var objective = definition.Objective ?? tuning.Spec.Objective;
        if (metric != objective.MetricName)
        {
            return null;
        }

        var best = _bestSoFar.AddOrUpdate(job.Name, value, (_, previous) => objective.Better(value, previous) ? value : previous);
        if (tuning.Spec.Strategy == TuningStrategies.Hyperband)
        {
            return Hyperband(tuning, job.Name, objective, step, value);
        }

        if (tuning.Spec.EarlyStopping != "Auto")
        {
            return null;
        }

        _liveCurves.GetOrAdd(job.Name, _ => new LiveCurve()).Add(step, value);
        return Median(tuning, job.Name, objective, step, best);
    }

    private string? Median(TuningJob tuning, string trial, TuningObjective objective, long step, double best)
    {
        if (step < MinimumStep)
        {
            return null;
        }

        var averages = new List<double>();
        var launchedBefore = true;
        foreach (var other in tuning.Trials)
        {
            if (other.TrainingJobName == trial)
            {
                launchedBefore = false;
                continue;
            }

            var average = StatusOf(other.TrainingJobName) switch
            {
                TrainingJobStatus.Completed => CompletedAverage(other.TrainingJobName, objective.MetricName, step),
                TrainingJobStatus.InProgress when launchedBefore && _liveCurves.TryGetValue(other.TrainingJobName, out var live) => live.AverageUpTo(step),
                _ => null,
            };
            if (average is { } value)
            {
                averages.Add(value);
            }
        }

        if (averages.Count < MinimumPreviousTrials)
        {
            return null;
        }

        averages.Sort();
        var median = averages.Count % 2 == 1 ? averages[averages.Count / 2] : (averages[(averages.Count / 2) - 1] + averages[averages.Count / 2]) / 2;
        return objective.Better(median, best)
            ? $"Stopped early by the tuning job's median rule: at step {step} the best {objective.MetricName} so far, {Show(best)}, is worse than {Show(median)}, the median of {averages.Count} earlier trials' running averages."
            : null;
    }

    private string? Hyperband(TuningJob tuning, string trial, TuningObjective objective, long step, double value)
    {
        var min = tuning.Spec.HyperbandMinResource ?? 1;
        var max = tuning.Spec.HyperbandMaxResource ?? TuningJobService.DefaultHyperbandMaxResource;
        if (step >= max || step < min || !IsRung(step, min))
        {
            return null;
        }

        var rung = _rungs.GetOrAdd((tuning.Name, step), _ => new ConcurrentDictionary<string, double>(StringComparer.Ordinal));
        rung[trial] = value;
        var values = rung.Values.ToList();
        if (values.Count < Reduction)
        {
            return null;
        }

        // The trial goes on when fewer than a third of the trials at this rung beat it.
        var better = values.Count(other => objective.Better(other, value));
        var promoted = values.Count / Reduction;
        return better < promoted
            ? null
            : $"Stopped by Hyperband at rung {step}: {objective.MetricName} {Show(value)} is not in the best third of the {values.Count} trials that reached it.";
    }

    private static bool IsRung(long step, int min)
    {
        for (long rung = min; rung <= step; rung *= Reduction)
        {
            if (rung == step)
            {
                return true;
            }
        }

        return false;
    }

    private TuningJob? Job(string name)
    {
        var now = clock.GetUtcNow();
        if (_jobs.TryGetValue(name, out var cached) && now - cached.Read < Refresh)
        {
            return cached.Job;
        }

        var job = store.FindAsync(name).GetAwaiter().GetResult();
        if (job is not null)
        {
            _jobs[name] = (job, now);
        }

        return job;
    }

    /// <summary>Where a sibling trial is, asked of the training job itself (the tuning job's record lags behind its poll).</summary>
    private TrainingJobStatus? StatusOf(string trial)
    {
        if (_ended.TryGetValue(trial, out var ended))
        {
            return ended;
        }

        var status = curves.Status(trial);
        if (status is TrainingJobStatus.Completed or TrainingJobStatus.Failed or TrainingJobStatus.Stopped)
        {
            _ended[trial] = status.Value;
            _liveCurves.TryRemove(trial, out _);
        }

        return status;
    }

    /// <summary>A completed trial's running average up to <paramref name="step"/>, from its tracked run.</summary>
    private double? CompletedAverage(string trial, string metric, long step)
    {
        var curve = _finishedCurves.GetOrAdd(trial, name => curves.Curve(name, metric));
        var upTo = curve.Where(point => point.Step <= step).Select(point => point.Value).ToList();
        return upTo.Count > 0 && curve[^1].Step >= step ? upTo.Average() : null;
    }

    private static string Show(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>
    /// One trial's objective as it reports it, kept as running sums so that a sibling's average up to a step costs a
    /// binary search on every report; written by the trial, read by its siblings.
    /// </summary>
    private sealed class LiveCurve
    {
        private readonly List<long> _steps = [];
        private readonly List<double> _sums = [];

        public void Add(long step, double value)
        {
            lock (_steps)
            {
                if (_steps.Count > 0 && step <= _steps[^1])
                {
                    // A retried attempt starts over.
                    _steps.Clear();
                    _sums.Clear();
                }

                _sums.Add((_sums.Count > 0 ? _sums[^1] : 0) + value);
                _steps.Add(step);
            }
        }

        /// <summary>The running average up to <paramref name="step"/>, once the trial has passed it.</summary>
        public double? AverageUpTo(long step)
        {
            lock (_steps)
            {
                if (_steps.Count == 0 || _steps[^1] < step || _steps[0] > step)
                {
                    return null;
                }

                var found = _steps.BinarySearch(step);
                var last = found >= 0 ? found : ~found - 1;
                return _sums[last] / (last + 1);
            }
        }
    }
}

/// <summary>Trials as the stop rule needs them: where each training job is, and a finished one's objective step by step (from its tracked run).</summary>
public interface ITrialCurves
{
    TrainingJobStatus? Status(string trainingJobName);

    IReadOnlyList<(long Step, double Value)> Curve(string trainingJobName, string metric);
}
