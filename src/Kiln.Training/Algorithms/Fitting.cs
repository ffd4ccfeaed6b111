namespace Kiln.Training.Algorithms;

internal static class Fitting
{
    /// <summary>
    /// Runs an ML.NET fit, which cannot be interrupted, so that a stop request still ends the job at once:
    /// the caller stops waiting and the abandoned fit finishes in the background, its result unused.
    /// </summary>
    public static Task<T> RunAsync<T>(Func<T> fit, CancellationToken ct) =>
        Task.Run(fit, ct).WaitAsync(ct);
}
