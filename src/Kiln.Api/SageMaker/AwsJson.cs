using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kiln.Api.SageMaker;

/// <summary>The AWS JSON 1.1 protocol's encoding: member names as in the model (PascalCase), absent members omitted, timestamps as epoch seconds.</summary>
internal static class AwsJson
{
    public const string ContentType = "application/x-amz-json-1.1";

    /// <summary>
    /// An error as the AWS JSON services send it: the status, <c>x-amzn-ErrorType</c>, and a body with <c>__type</c>
    /// and the message under the member name the service's model gives it (SageMaker's <c>message</c>, Athena's
    /// <c>Message</c>), then any members of the service's own.
    /// </summary>
    public static async Task WriteErrorAsync(HttpResponse response, int status, string type, string message, string messageMember = "message", IEnumerable<KeyValuePair<string, string>>? more = null)
    {
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers["x-amzn-ErrorType"] = type;
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("__type", type);
        writer.WriteString(messageMember, message);
        foreach (var (name, value) in more ?? [])
        {
            writer.WriteString(name, value);
        }

        writer.WriteEndObject();
    }

    public static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new EpochSecondsConverter() },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>Timestamps travel as seconds since the epoch, with a fraction.</summary>
    private sealed class EpochSecondsConverter : JsonConverter<DateTimeOffset>
    {
        private static readonly double MinMilliseconds = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
        private static readonly double MaxMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Number)
            {
                var milliseconds = Math.Round(reader.GetDouble() * 1000);
                return milliseconds >= MinMilliseconds && milliseconds <= MaxMilliseconds
                    ? DateTimeOffset.FromUnixTimeMilliseconds((long)milliseconds)
                    : throw new JsonException("A timestamp must lie between the years 1 and 9999.");
            }

            if (reader.TokenType == JsonTokenType.String
                && DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return parsed;
            }

            throw new JsonException("A timestamp must be epoch seconds or an ISO 8601 string.");
        }

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(value.ToUnixTimeMilliseconds() / 1000.0);
    }
}
