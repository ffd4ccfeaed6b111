using System.Collections.Concurrent;
using Kiln.Core.Logs;
using Kiln.Core.Tracking;
using Kiln.Core.Training;

namespace Kiln.Training.Jobs;

/// <summary>
/// A running job's reporter: log lines go to the job's log file, metrics to the tracked run (with
/// history, batched) and to the job's final metrics, secondary statuses to the job's history.
/// </summary>
internal sealed class JobReporter : ITrainingReporter, IDisposable
{
    private readonly TrainingJobRunner.Attempt _attempt;
    private readonly TrackingService _tracking;
    private readonly string _runId;
    private readonly TimeProvider _clock;
    private readonly JobLogWriter _log;
    private readonly ConcurrentDictionary<string, FinalMetric> _final = new(StringComparer.Ordinal);
    private readonly List<Metric> _pending = [];
    private readonly object _gate = new();
    private readonly TrainingJobSpec _job;
    private readonly ITrainingStopRule? _stopRule;
    private readonly CancellationTokenSource _stopEarly;
    private long _nextStep;

    public JobReporter(TrainingJobRunner.Attempt attempt, TrackingService tracking, string runId, string logFile, TimeProvider clock, TrainingJobSpec job, ITrainingStopRule? stopRule, CancellationTokenSource stopEarly)
    {
        _job = job;
        _stopRule = stopRule;
        _stopEarly = stopEarly;
        _attempt = attempt;
        _tracking = tracking;
        _runId = runId;
        _clock = clock;
        _log = new JobLogWriter(logFile, clock);
    }

    public void Log(string line)
    {
        _log.WriteLine(line);
    }

    /// <summary>Why a stop rule ended the job early (null while it runs on).</summary>
    public string? StoppedEarlyBecause { get; private set; }

    public void Metric(string name, double value, long? step = null)
    {
        if (StoppedEarlyBecause is null && step is { } at && _stopRule?.ShouldStop(_job, name, at, value) is { } reason)
        {
            StoppedEarlyBecause = reason;
            Log(reason);
            _stopEarly.Cancel();
        }

        var now = _clock.GetUtcNow();
        _final[name] = new FinalMetric(name, value, now);
        List<Metric>? full = null;
        lock (_gate)
        {
            _pending.Add(new Metric(SafeKey(name), value, now.ToUnixTimeMilliseconds(), step ?? Interlocked.Increment(ref _nextStep)));
            if (_pending.Count >= TrackingLimits.MaxMetricsPerBatch)
            {
                full = [.. _pending];
                _pending.Clear();
            }
        }

        if (full is not null)
        {
            _tracking.LogBatchAsync(_runId, full, [], []).GetAwaiter().GetResult();
        }
    }

    public void Status(string secondaryStatus, string message) =>
        _attempt.StatusAsync(secondaryStatus, message).GetAwaiter().GetResult();

    public IReadOnlyList<FinalMetric> FinalMetrics() => _final.Values.OrderBy(metric => metric.Name, StringComparer.Ordinal).ToList();

    public async Task FlushAsync()
    {
        List<Metric> batch;
        lock (_gate)
        {
            batch = [.. _pending];
            _pending.Clear();
        }

        if (batch.Count > 0)
        {
            await _tracking.LogBatchAsync(_runId, batch, [], []).ConfigureAwait(false);
        }
    }

    public void Dispose() => _log.Dispose();

    /// <summary>SageMaker metric names ("validation:auc") are valid MLflow keys as they are; anything else is made safe.</summary>
    private static string SafeKey(string name)
    {
        var safe = new string(name.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or ' ' or ':' or '/' ? c : '_').ToArray());
        return safe.Length == 0 ? "metric" : safe;
    }
}
