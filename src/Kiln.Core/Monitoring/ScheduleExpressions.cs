using System.Text.RegularExpressions;
using System.Xml;
using Cronos;
using Kiln.Core.Common;

namespace Kiln.Core.Monitoring;

/// <summary>SageMaker's schedule expressions (<c>cron(0 * ? * * *)</c>, AWS's six-field form, or <c>NOW</c>) and window offsets (<c>-PT1H</c>).</summary>
public static partial class ScheduleExpressions
{
    public const string Now = "NOW";

    /// <summary>The cron expression behind <paramref name="expression"/>, or null for NOW; a ValidationException for anything else.</summary>
    public static CronExpression? Parse(string expression)
    {
        if (expression == Now)
        {
            return null;
        }

        var match = AwsCron().Match(expression.Trim());
        if (!match.Success)
        {
            throw KilnException.InvalidParameter($"ScheduleExpression '{expression}' is not valid: use cron(Minutes Hours Day-of-month Month Day-of-week Year), for example cron(0 * ? * * *), or NOW.");
        }

        var fields = match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6 || fields[5] is not ("*" or "?"))
        {
            throw KilnException.InvalidParameter($"ScheduleExpression '{expression}' is not valid: a cron expression has six fields (Minutes Hours Day-of-month Month Day-of-week Year) and Kiln takes * as the year.");
        }

        // AWS numbers the days of the week 1 (Sunday) to 7; Cronos 0 (Sunday) to 6.
        var dayOfWeek = Digits().Replace(fields[4], number => (int.Parse(number.Value, System.Globalization.CultureInfo.InvariantCulture) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            return CronExpression.Parse($"{fields[0]} {fields[1]} {fields[2]} {fields[3]} {dayOfWeek}");
        }
        catch (CronFormatException e)
        {
            throw KilnException.InvalidParameter($"ScheduleExpression '{expression}' is not valid: {e.Message}");
        }
    }

    /// <summary>An offset such as <c>-PT1H</c> (before the scheduled time); only negative or zero durations make sense.</summary>
    public static TimeSpan ParseOffset(string place, string? offset, TimeSpan fallback)
    {
        if (string.IsNullOrEmpty(offset))
        {
            return fallback;
        }

        TimeSpan value;
        try
        {
            value = XmlConvert.ToTimeSpan(offset);
        }
        catch (FormatException)
        {
            throw KilnException.InvalidParameter($"{place} '{offset}' is not an ISO-8601 duration such as -PT1H.");
        }

        return value <= TimeSpan.Zero || offset == "PT0H"
            ? value
            : throw KilnException.InvalidParameter($"{place} '{offset}' must be a negative offset from the scheduled time, such as -PT1H.");
    }

    [GeneratedRegex(@"^cron\((.*)\)$")]
    private static partial Regex AwsCron();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();
}
