using System.Text;
using Kiln.Core.Common;
using Kiln.Core.Training;

namespace Kiln.Api.Native;

/// <summary>
/// Kiln's own small API for what neither SageMaker nor MLflow covers over HTTP, such as a job's log
/// (SageMaker keeps logs in CloudWatch, a separate service): <c>/api/kiln/…</c>.
/// </summary>
public static class NativeApi
{
    private const int MaxChunkBytes = 256 * 1024;

    public static IEndpointRouteBuilder MapNativeApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/kiln/training-jobs/{name}/logs", ReadLogAsync);
        return app;
    }

    /// <summary>Returns the log from byte <c>offset</c> on (at most 256 KiB) and the offset to ask for next: <c>kiln jobs logs --follow</c> polls it.</summary>
    private static async Task<IResult> ReadLogAsync(string name, long? offset, TrainingJobService jobs, ILogFiles logs, HttpContext http)
    {
        try
        {
            var job = await jobs.DescribeAsync(name, http.RequestAborted);
            var path = logs.TrainingJobLog(name);
            var start = Math.Max(0, offset ?? 0);
            if (!File.Exists(path))
            {
                return Results.Json(new LogChunk(start, "", job.IsFinished));
            }

            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            start = Math.Min(start, file.Length);
            file.Seek(start, SeekOrigin.Begin);
            var buffer = new byte[(int)Math.Min(MaxChunkBytes, file.Length - start)];
            var read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, http.RequestAborted);
            // Hand out whole lines only, so a line is never split between two reads.
            var end = read == 0 ? 0 : Array.LastIndexOf(buffer, (byte)'\n', read - 1) + 1;
            var text = Encoding.UTF8.GetString(buffer, 0, end);
            return Results.Json(new LogChunk(start + end, text, job.IsFinished && start + end >= file.Length));
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.Json(new { error = e.Message }, statusCode: 404);
        }
    }

    private sealed record LogChunk(long Offset, string Text, bool Complete);
}

/// <summary>Where job logs are on this node.</summary>
public interface ILogFiles
{
    string TrainingJobLog(string name);
}
