using System.Text;
using CsCheck;
using Kiln.Fuzz.Tests.Infrastructure;
using Kiln.Serving.Inference;

namespace Kiln.Fuzz.Tests.Parsers;

/// <summary>InvokeEndpoint and transform payloads (CSV, JSON, JSON lines) decode into rows or are refused with a 4xx <see cref="PayloadException"/>.</summary>
public class PayloadFuzzTests
{
    private static readonly Gen<string> Cell = Gen.Frequency(
        (4, Gen.OneOf("1", "-2.5", "1e10", "1e400", "-1e400", "NaN", "inf", "", " ", "abc", "\"q\"", "\"a,b\"", "\"unterminated", "\"\"\"\"", "0x10", "1,5", "١٢")),
        (1, Gen.Double.Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
        (1, Mutations.Noise));

    private static readonly Gen<string> Csv = Gen.Select(Cell.Array[1, 5].Array[1, 5], Gen.OneOf("\n", "\r\n", "\r"), (rows, end) => string.Join(end, rows.Select(row => string.Join(",", row))));

    private static readonly Gen<string> JsonValue = Gen.Recursive<string>((depth, inner) => Gen.Frequency(
        (4, Gen.OneOf("1", "-2.5", "1e400", "-1e400", "1e-400", "123456789012345678901234567890", "null", "true", "false", "\"x\"", "\"\"", "{}", "[]")),
        (depth < 4 ? 2 : 0, inner.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
        (depth < 4 ? 2 : 0, Gen.Select(Gen.OneOf("instances", "features", "text", "source", "x"), inner, (key, value) => $"{{\"{key}\":{value}}}"))));

    private static readonly Gen<string> Json = Gen.Frequency(
        (3, JsonValue),
        (2, JsonValue.Array[1, 4].Select(rows => "{\"instances\":[" + string.Join(",", rows) + "]}")),
        (1, JsonValue.Array[1, 4].Select(rows => string.Join("\n", rows))));

    private static readonly Gen<(byte[] Body, string ContentType)> Payload = Gen.Select(
        Gen.Frequency(
            (3, Csv), (3, Json), (2, Mutations.MutateMany(Gen.OneOf(Csv, Json))), (1, Mutations.Noise),
            (1, Mutations.Huge(("[", "]"), ("{\"instances\":[", "]}"), ("\"", ""), ("1,", "1")))).Select(Encoding.UTF8.GetBytes),
        Gen.OneOf("text/csv", "text/csv; charset=utf-8", "application/json", "application/jsonlines", "application/x-json", "text/plain", "application/csv", "application/x-npy", "", "text/csv;header=present"),
        (body, type) => (body, type));

    [Fact]
    public void Payloads_decode_or_are_refused_with_a_client_error() =>
        Fuzzing.Property(Payload, 1800, input => input.Body.Length, input => Payloads.Decode(input.Body, input.ContentType), e => e is PayloadException { Status: >= 400 and < 500 });

    [Fact]
    public void Raw_bytes_decode_or_are_refused_with_a_client_error() =>
        Fuzzing.Property(Gen.Select(Gen.Byte.Array[0, 300], Gen.OneOf("text/csv", "application/json", "application/jsonlines"), (body, type) => (body, type)), 900, input => input.Item1.Length,
            input => Payloads.Decode(input.Item1, input.Item2), e => e is PayloadException { Status: >= 400 and < 500 });
}
