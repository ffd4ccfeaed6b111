namespace Kiln.Jobs.Silo;

/// <summary>
/// The system clock, with monotonic timestamps counted from this clock's creation instead of from machine boot.
/// </summary>
/// <remarks>
/// Orleans' silo watchdog starts its platform-check thread before it stamps the component-check time, so on a busy
/// start-up the first platform check can read that stamp while it is still 0 and report the machine's uptime as a
/// stalled "participant check thread" (for example "has not completed for 01:04:19"). With timestamps counted from
/// the silo's start, an unstamped 0 reads as seconds, below the watchdog's threshold, and a healthy start is quiet.
/// </remarks>
public sealed class ProcessTimestampClock : TimeProvider
{
    private readonly TimeProvider _inner;
    private readonly long _origin;

    public ProcessTimestampClock(TimeProvider inner)
    {
        _inner = inner;
        _origin = inner.GetTimestamp();
    }

    public override long TimestampFrequency => _inner.TimestampFrequency;

    public override long GetTimestamp() => _inner.GetTimestamp() - _origin;

    public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _inner.CreateTimer(callback, state, dueTime, period);
}
