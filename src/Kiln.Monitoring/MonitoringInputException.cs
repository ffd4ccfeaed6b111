namespace Kiln.Monitoring;

/// <summary>
/// The input of an analysis is unusable (empty, malformed, inconsistent). The message says what and where, so the
/// API can answer it as a ValidationException; nothing else in this library is thrown for bad input.
/// </summary>
public sealed class MonitoringInputException : Exception
{
    public MonitoringInputException(string message)
        : base(message)
    {
    }

    public MonitoringInputException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public MonitoringInputException()
    {
    }
}
