using Kiln.Core.Common;
using Kiln.Core.Monitoring;

namespace Kiln.Core.Tests.Monitoring;

/// <summary>SageMaker's six-field cron form mapped onto Cronos, and when a schedule is due.</summary>
public sealed class ScheduleExpressionsTests
{
    private static readonly DateTimeOffset Created = new(2026, 3, 4, 10, 20, 0, TimeSpan.Zero);

    [Fact]
    public void Hourly_cron_is_due_at_each_full_hour_and_only_the_latest_missed_one_runs()
    {
        var schedule = Schedule("cron(0 * ? * * *)");

        Assert.Null(MonitoringExecutor.Due(schedule, Created.AddMinutes(39)));
        Assert.Equal(Created.AddMinutes(40), MonitoringExecutor.Due(schedule, Created.AddMinutes(40)));
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 13, 0, 0, TimeSpan.Zero), MonitoringExecutor.Due(schedule, new DateTimeOffset(2026, 3, 4, 13, 30, 0, TimeSpan.Zero)));

        var ran = schedule with { LastScheduledTime = new DateTimeOffset(2026, 3, 4, 13, 0, 0, TimeSpan.Zero) };
        Assert.Null(MonitoringExecutor.Due(ran, new DateTimeOffset(2026, 3, 4, 13, 59, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Aws_days_of_the_week_count_from_sunday_as_one()
    {
        // 2026-03-08 is a Sunday: AWS's day 1.
        var schedule = Schedule("cron(0 12 ? * 1 *)");

        Assert.Equal(new DateTimeOffset(2026, 3, 8, 12, 0, 0, TimeSpan.Zero), MonitoringExecutor.Due(schedule, new DateTimeOffset(2026, 3, 8, 12, 0, 0, TimeSpan.Zero)));
        Assert.Null(MonitoringExecutor.Due(schedule, new DateTimeOffset(2026, 3, 8, 11, 59, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Now_is_due_once_while_pending()
    {
        var now = Created.AddSeconds(3);

        Assert.Equal(now, MonitoringExecutor.Due(Schedule("NOW") with { RunNowPending = true }, now));
        Assert.Null(MonitoringExecutor.Due(Schedule("NOW"), now.AddDays(1)));
    }

    [Fact]
    public void Now_asked_for_at_a_time_is_due_at_that_time_however_late_the_tick()
    {
        // A node lost after adding the execution but before claiming it leaves RunNowPending set: the retry must name the same
        // scheduled time, or the schedule gets a second execution.
        var asked = Created.AddSeconds(3);
        var pending = Schedule("NOW") with { RunNowPending = true, RunNowTime = asked };

        Assert.Equal(asked, MonitoringExecutor.Due(pending, asked.AddSeconds(2)));
        Assert.Equal(asked, MonitoringExecutor.Due(pending, asked.AddMinutes(5)));
    }

    [Theory]
    [InlineData("cron(0 * * *)")]
    [InlineData("cron(61 * ? * * *)")]
    [InlineData("cron(0 * ? * * 2030)")]
    [InlineData("rate(1 hour)")]
    [InlineData("")]
    public void Bad_expressions_are_invalid_parameters(string expression) =>
        Assert.Equal(ErrorCode.InvalidParameterValue, Assert.Throws<KilnException>(() => ScheduleExpressions.Parse(expression)).Code);

    [Theory]
    [InlineData("-PT1H", -60)]
    [InlineData("-PT0H", 0)]
    [InlineData("-PT90M", -90)]
    public void Offsets_are_durations_before_the_scheduled_time(string offset, int minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), ScheduleExpressions.ParseOffset("DataAnalysisStartTime", offset, TimeSpan.Zero));

    [Theory]
    [InlineData("PT1H")]
    [InlineData("an hour ago")]
    public void Later_or_unreadable_offsets_are_refused(string offset) =>
        Assert.Equal(ErrorCode.InvalidParameterValue, Assert.Throws<KilnException>(() => ScheduleExpressions.ParseOffset("DataAnalysisStartTime", offset, TimeSpan.Zero)).Code);

    private static MonitoringSchedule Schedule(string expression) => new()
    {
        Name = "s",
        Schedule = new ScheduleSpec(expression),
        JobDefinitionName = "dq",
        EndpointName = "ep",
        CreationTime = Created,
        LastModifiedTime = Created,
    };
}
