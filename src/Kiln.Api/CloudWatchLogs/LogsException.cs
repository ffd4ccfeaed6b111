namespace Kiln.Api.CloudWatchLogs;

/// <summary>An error in CloudWatch Logs' vocabulary (its <c>__type</c>); the service answers 400 for these.</summary>
internal sealed class LogsException(string type, string message) : Exception(message)
{
    public string Type { get; } = type;

    public static LogsException GroupNotFound() => new("ResourceNotFoundException", "The specified log group does not exist.");

    public static LogsException StreamNotFound() => new("ResourceNotFoundException", "The specified log stream does not exist.");

    public static LogsException Invalid(string message) => new("InvalidParameterException", message);

    /// <summary>A member outside the model's range, worded as AWS's request validation words it.</summary>
    public static LogsException OutOfRange(string member, long value, long min, long max) => Invalid(value < min
        ? $"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
        : $"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have value less than or equal to {max}");
}
