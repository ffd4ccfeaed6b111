using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Api.SageMaker;
using Kiln.Core.Common;
using Kiln.Core.Serving;
using Microsoft.Extensions.Logging;

namespace Kiln.Api.SageMakerRuntime;

/// <summary>
/// The <c>sagemaker-runtime</c> dialect (REST JSON): <c>POST /endpoints/{EndpointName}/invocations</c> with the
/// payload as the body and its options as <c>X-Amzn-SageMaker-*</c> headers, answered with the model's output,
/// the invoked variant in <c>x-Amzn-Invoked-Production-Variant</c>, and SageMaker's errors (ValidationError 400,
/// ModelError 424 with the model's original status and message, 413 over the 6 MB payload limit).
/// </summary>
public static partial class RuntimeApi
{
    /// <summary>SageMaker's real-time payload limit (botocore's BodyBlob max).</summary>
    public const int MaxPayloadBytes = 6 * 1024 * 1024;

    public static IEndpointRouteBuilder MapSageMakerRuntimeApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/endpoints/{endpointName}/invocations", InvokeAsync);
        return app;
    }

    private static async Task InvokeAsync(HttpContext http, string endpointName)
    {
        var response = http.Response;
        response.Headers["x-amzn-RequestId"] = FastIds.Next().ToString();
        try
        {
            var headers = http.Request.Headers;
            var request = new InvocationRequest(
                endpointName,
                await ReadBodyAsync(http),
                http.Request.ContentType,
                Header(headers, "Accept"),
                Checked(Header(headers, "X-Amzn-SageMaker-Target-Variant"), "targetVariant", NamePattern(), 63),
                Checked(Header(headers, "X-Amzn-SageMaker-Custom-Attributes"), "customAttributes", AsciiPattern(), 1024),
                Checked(Header(headers, "X-Amzn-SageMaker-Inference-Id"), "inferenceId", InferenceIdPattern(), 64),
                Checked(Header(headers, "X-Amzn-SageMaker-Enable-Explanations"), "enableExplanations", AnyPattern(), 64));
            Checked(endpointName, "endpointName", NamePattern(), 63);
            var result = await http.RequestServices.GetRequiredService<IEndpointInvoker>().InvokeAsync(request, http.RequestAborted);
            response.ContentType = result.ContentType;
            response.Headers["x-Amzn-Invoked-Production-Variant"] = result.Variant;
            response.Headers["X-Amzn-SageMaker-Inference-Id"] = result.InferenceId;
            response.ContentLength = result.Body.Length;
            await response.Body.WriteAsync(result.Body, http.RequestAborted);
        }
        catch (RuntimeError e)
        {
            await WriteErrorAsync(http, e.Type, e.Status, e.Message);
        }
        catch (ModelInvocationException e)
        {
            await WriteErrorAsync(http, "ModelError", 424, e.Message, e);
        }
        catch (KilnException e) when (e.Code is ErrorCode.ResourceDoesNotExist)
        {
            await WriteErrorAsync(http, "ValidationError", 400, $"Endpoint {endpointName} of account {SageMakerApi.AccountId} not found.");
        }
        catch (KilnException e) when (e.Code is ErrorCode.InvalidParameterValue)
        {
            await WriteErrorAsync(http, "ValidationError", 400, e.Message);
        }
        catch (Exception e) when (!response.HasStarted && StoreOutage.Is(e))
        {
            await WriteErrorAsync(http, "ServiceUnavailable", 503, StoreOutage.Message(e));
        }
        catch (KilnException e)
        {
            await WriteErrorAsync(http, "InternalFailure", 500, e.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!response.HasStarted)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Kiln.Api.SageMakerRuntime").LogError(e, "Invocation of {Endpoint} failed", endpointName);
            await WriteErrorAsync(http, "InternalFailure", 500, $"Internal error: {e.Message}");
        }
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext http)
    {
        var length = http.Request.ContentLength;
        if (length > MaxPayloadBytes)
        {
            throw new RuntimeError(null, 413, $"HTTP content length exceeded {MaxPayloadBytes} bytes.");
        }

        // Already in memory (authentication reads a signed body ahead to hash it): used as it is, not copied again.
        if (http.Request.Body is MemoryStream { Position: 0 } buffered && buffered.TryGetBuffer(out var bytes))
        {
            return bytes.Count <= MaxPayloadBytes ? bytes : throw new RuntimeError(null, 413, $"HTTP content length exceeded {MaxPayloadBytes} bytes.");
        }

        if (length is { } known)
        {
            var buffer = new byte[known];
            await http.Request.Body.ReadExactlyAsync(buffer, http.RequestAborted);
            return buffer;
        }

        using var copy = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            copy.Write(chunk, 0, read);
            if (copy.Length > MaxPayloadBytes)
            {
                throw new RuntimeError(null, 413, $"HTTP content length exceeded {MaxPayloadBytes} bytes.");
            }
        }

        return copy.ToArray();
    }

    private static string? Header(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var value) && value.Count > 0 && !string.IsNullOrEmpty(value[0]) ? value[0] : null;

    private static string? Checked(string? value, string member, Regex pattern, int max)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > max)
        {
            throw new RuntimeError("ValidationError", 400, $"1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}");
        }

        if (!pattern.IsMatch(value))
        {
            throw new RuntimeError("ValidationError", 400, $"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}");
        }

        return value;
    }

    private static async Task WriteErrorAsync(HttpContext http, string? type, int status, string message, ModelInvocationException? model = null)
    {
        var response = http.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = status;
        response.ContentType = "application/json";
        if (type is not null)
        {
            response.Headers["x-amzn-ErrorType"] = type;
        }

        await using var json = new Utf8JsonWriter(response.Body);
        json.WriteStartObject();
        if (model is not null)
        {
            json.WriteString("ErrorCode", model.OriginalStatusCode is > 0 and < 500 ? "CLIENT_ERROR_FROM_MODEL" : "SERVER_ERROR_FROM_MODEL");
            json.WriteNumber("OriginalStatusCode", model.OriginalStatusCode);
            json.WriteString("OriginalMessage", model.OriginalMessage);
        }

        json.WriteString("Message", message);
        json.WriteEndObject();
    }

    [GeneratedRegex(@"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^\p{IsBasicLatin}*$")]
    private static partial Regex AsciiPattern();

    [GeneratedRegex(@"^\S[\x20-\x7E]*$")]
    private static partial Regex InferenceIdPattern();

    [GeneratedRegex(@"^.*$")]
    private static partial Regex AnyPattern();

    /// <summary>An error answered before the model is called; a null type is a bare HTTP error (as SageMaker's front end answers 413).</summary>
    private sealed class RuntimeError(string? type, int status, string message) : Exception(message)
    {
        public string? Type { get; } = type;

        public int Status { get; } = status;
    }
}
