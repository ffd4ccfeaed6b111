using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Core.Training;
using Kiln.Core.Tuning;
using Kiln.Tuning.EarlyStopping;

namespace Kiln.Tuning.Tests;

public sealed class TuningStopRuleTests
{
    private const string Metric = "validation:logloss";
    private const double Hopeless = 0.69;

    [Fact]
    public void A_trial_is_judged_against_a_completed_trial_and_an_earlier_one_still_running()
    {
        var (rule, curves) = FirstCompletedSecondRunning();
        Assert.Null(Report(rule, "second", Learning(10)));

        curves.Run("third");
        var reason = Report(rule, "third", Flat(10));
        Assert.NotNull(reason);
        Assert.Contains("median rule: at step 3", reason, StringComparison.Ordinal);
        Assert.Contains("median of 2 earlier trials", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trial_launched_later_does_not_count_while_it_runs()
    {
        var (rule, curves) = FirstCompletedSecondRunning();
        curves.Run("third");
        Assert.Null(Report(rule, "third", Learning(10)));

        // Only "first" came before "second" and has reached each step: one previous trial is not enough to judge.
        Assert.Null(Report(rule, "second", Flat(10)));
    }

    [Fact]
    public void A_running_sibling_counts_only_up_to_the_step_it_has_reached_and_a_stopped_one_not_at_all()
    {
        var (rule, curves) = FirstCompletedSecondRunning();
        Assert.Null(Report(rule, "second", Learning(2)));
        curves.Run("third");
        Assert.Null(Report(rule, "third", Flat(10)));

        var (again, stopped) = FirstCompletedSecondRunning();
        Assert.Null(Report(again, "second", Learning(10)));
        stopped.End("second", TrainingJobStatus.Stopped);
        stopped.Run("third");
        Assert.Null(Report(again, "third", Flat(10)));
    }

    /// <summary>Logloss falling from 0.6 by 0.03 a step, from step 1.</summary>
    private static List<(long Step, double Value)> Learning(int steps) => [.. Enumerable.Range(1, steps).Select(s => ((long)s, 0.6 - (0.03 * s)))];

    private static List<(long Step, double Value)> Flat(int steps) => [.. Enumerable.Range(1, steps).Select(s => ((long)s, Hopeless))];

    /// <summary>Reports a trial's curve step by step, as its training would, up to the first stop.</summary>
    private static string? Report(TuningStopRule rule, string trial, List<(long Step, double Value)> curve)
    {
        var job = new TrainingJobSpec { Name = trial, OutputPath = "s3://bucket/out", TuningJobName = "tuning" };
        foreach (var (step, value) in curve)
        {
            if (rule.ShouldStop(job, Metric, step, value) is { } reason)
            {
                return reason;
            }
        }

        return null;
    }

    /// <summary>A job of three trials, "first" completed with a learning curve and "second" started.</summary>
    private static (TuningStopRule Rule, FakeTrials Curves) FirstCompletedSecondRunning()
    {
        var (rule, curves) = Rule("first", "second", "third");
        curves.Complete("first", Learning(10));
        curves.Run("second");
        return (rule, curves);
    }

    private static (TuningStopRule Rule, FakeTrials Curves) Rule(params string[] trials)
    {
        var now = DateTimeOffset.UnixEpoch;
        var job = new TuningJob
        {
            Spec = new TuningJobSpec
            {
                Name = "tuning",
                Strategy = TuningStrategies.Bayesian,
                Objective = new TuningObjective(Maximize: false, Metric),
                MaxParallelTrainingJobs = 2,
                EarlyStopping = "Auto",
                Definitions = [new TrainingDefinition(null, new TrainingJobSpec { Name = "template", OutputPath = "s3://bucket/out" }, [], new Dictionary<string, string>(), null)],
            },
            CreationTime = now,
            LastModifiedTime = now,
            Trials = [.. trials.Select(name => new Trial(name, null, new Dictionary<string, string>(), now))],
        };
        var curves = new FakeTrials();
        return (new TuningStopRule(new OneJobStore(job), curves, TimeProvider.System), curves);
    }

    private sealed class FakeTrials : ITrialCurves
    {
        private readonly Dictionary<string, TrainingJobStatus> _status = [];
        private readonly Dictionary<string, IReadOnlyList<(long Step, double Value)>> _tracked = [];

        public void Run(string trial) => _status[trial] = TrainingJobStatus.InProgress;

        public void Complete(string trial, IReadOnlyList<(long Step, double Value)> curve) => (_status[trial], _tracked[trial]) = (TrainingJobStatus.Completed, curve);

        public void End(string trial, TrainingJobStatus status) => _status[trial] = status;

        public TrainingJobStatus? Status(string trainingJobName) => _status.TryGetValue(trainingJobName, out var status) ? status : null;

        public IReadOnlyList<(long Step, double Value)> Curve(string trainingJobName, string metric) => _tracked.GetValueOrDefault(trainingJobName) ?? [];
    }

    private sealed class OneJobStore(TuningJob job) : ITuningJobStore
    {
        public Task<TuningJob?> FindAsync(string name, CancellationToken ct = default) => Task.FromResult(name == job.Name ? job : null);

        public Task<bool> AddAsync(TuningJob added, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<TuningJob?> UpdateAsync(string name, Func<TuningJob, TuningJob?> change, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<Page<TuningJob>> ListAsync(ListQuery query, CancellationToken ct = default) => throw new NotSupportedException();
    }
}
