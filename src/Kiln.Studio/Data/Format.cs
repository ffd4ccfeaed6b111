using System.Globalization;

namespace Kiln.Studio.Data;

/// <summary>How Studio writes numbers, times and sizes, the same on every page.</summary>
public static class Format
{
    public static string Number(double value) =>
        double.IsFinite(value) ? value.ToString("G6", CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture);

    public static string Time(long? unixMilliseconds) =>
        unixMilliseconds is { } ms ? Time(DateTimeOffset.FromUnixTimeMilliseconds(ms)) : "–";

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string Duration(long? start, long? end)
    {
        if (start is not { } s || end is not { } e || e < s)
        {
            return "–";
        }

        var span = TimeSpan.FromMilliseconds(e - s);
        return span.TotalMinutes < 1
            ? $"{span.TotalSeconds:0.#} s"
            : span.ToString(span.TotalHours < 1 ? @"m\:ss" : @"h\:mm\:ss", CultureInfo.InvariantCulture);
    }

    /// <summary>How long ago, in its two largest units: "42 s ago", "5 min 3 s ago", "2 h 10 min ago", "3 d 4 h ago"; a negative age is "in the future".</summary>
    public static string Ago(TimeSpan age) => age switch
    {
        { Ticks: < 0 } => "in the future",
        { TotalMinutes: < 1 } => $"{(int)age.TotalSeconds} s ago",
        { TotalHours: < 1 } => $"{age.Minutes} min {age.Seconds} s ago",
        { TotalDays: < 1 } => $"{age.Hours} h {age.Minutes} min ago",
        _ => $"{(int)age.TotalDays} d {age.Hours} h ago",
    };

    public static string Size(long? bytes) => bytes switch
    {
        null => "",
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KB",
        _ => $"{bytes / (1024.0 * 1024):0.#} MB",
    };
}
