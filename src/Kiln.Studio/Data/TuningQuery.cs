using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Training;
using Kiln.Core.Tuning;

namespace Kiln.Studio.Data;

/// <summary>One trial as the tuning page shows it: its place in launch order, its training job and objective.</summary>
public sealed record TrialRow(int Order, Trial Trial, TrainingJob? Job, bool IsBest)
{
    public string Status => (Job?.Status ?? Trial.Status).ToString();
}

/// <summary>A tuning job's page: the job, its trials in launch order, and the parameter importance over them.</summary>
public sealed record TuningView(TuningJob Job, IReadOnlyList<TrialRow> Trials, IReadOnlyList<ParameterImportance> Importance)
{
    public IReadOnlyList<TrialRow> Scored => Trials.Where(row => row.Trial.Objective is not null).ToList();

    public IReadOnlyList<string> Parameters => Importance.Select(i => i.Parameter).ToList();

    public string Fingerprint() => $"{Job.Status}:{Job.LastModifiedTime.ToUnixTimeMilliseconds()}:" +
        string.Join(',', Trials.Select(row => $"{row.Status}/{row.Trial.Objective?.ToString(CultureInfo.InvariantCulture)}"));
}

/// <summary>The Tuning area's questions, asked of <see cref="TuningJobService"/> in process.</summary>
public sealed class TuningQuery(TuningJobService tuning)
{
    public const int ListLimit = 100;

    public async Task<IReadOnlyList<TuningJob>> ListAsync(string? status, CancellationToken ct = default) =>
        (await tuning.ListAsync(new ListQuery(Status: JobsQuery.Statuses.Contains(status) ? status : null, MaxResults: ListLimit), ct)).Items;

    /// <summary>The tuning job with its trials; null when there is no such job.</summary>
    public async Task<TuningView?> FindAsync(string name, CancellationToken ct = default)
    {
        TuningJob job;
        IReadOnlyList<(Trial Trial, TrainingJob? Job)> trials;
        try
        {
            job = await tuning.DescribeAsync(name, ct);
            trials = await tuning.TrialsAsync(name, ct);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return null;
        }

        var best = job.Best?.TrainingJobName;
        var rows = trials.OrderBy(t => t.Trial.CreationTime).ThenBy(t => t.Trial.TrainingJobName, StringComparer.Ordinal)
            .Select((t, index) => new TrialRow(index + 1, t.Trial, t.Job, t.Trial.TrainingJobName == best))
            .ToList();
        var importance = ParameterImportanceCalculator.Compute(
            rows.Where(row => row.Trial.Objective is not null).Select(row => (row.Trial.TunedHyperParameters, row.Trial.Objective!.Value)).ToList());
        return new TuningView(job, rows, importance);
    }

    public Task StopAsync(string name, CancellationToken ct = default) => tuning.StopAsync(name, ct);
}
