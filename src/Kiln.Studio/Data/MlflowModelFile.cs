using System.Text;
using System.Text.Json;

namespace Kiln.Studio.Data;

/// <summary>A column (or tensor) of an MLflow model signature.</summary>
public sealed record SignatureField(string Name, string Type, bool Required);

/// <summary>A flavor of an MLflow model (<c>sklearn</c>, <c>python_function</c>, …) and its settings.</summary>
public sealed record ModelFlavor(string Name, IReadOnlyList<(string Key, string Value)> Settings);

/// <summary>
/// What an MLflow <c>MLmodel</c> file declares: its flavors and its signature. MLflow writes the file with PyYAML in
/// block style, and the signature's inputs and outputs as single-quoted JSON strings (folded over lines when long), so
/// this reads that shape, not YAML in general.
/// </summary>
public sealed record MlflowModelFile(IReadOnlyList<ModelFlavor> Flavors, IReadOnlyList<SignatureField>? Inputs, IReadOnlyList<SignatureField>? Outputs)
{
    public static MlflowModelFile Parse(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var flavors = new List<ModelFlavor>();
        var signature = new Dictionary<string, string>(StringComparer.Ordinal);
        string? section = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var indent = line.Length - line.TrimStart(' ').Length;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (indent == 0)
            {
                section = line.TrimEnd() is "flavors:" or "signature:" ? line.TrimEnd()[..^1] : null;
                continue;
            }

            var (key, value) = KeyValue(line.Trim());
            if (section == "flavors" && indent == 2)
            {
                flavors.Add(new ModelFlavor(key, []));
            }
            else if (section == "flavors" && indent == 4 && flavors.Count > 0 && value.Length > 0)
            {
                var flavor = flavors[^1];
                flavors[^1] = flavor with { Settings = [.. flavor.Settings, (key, Unquote(value))] };
            }
            else if (section == "signature" && indent == 2)
            {
                // A quoted scalar folded over several lines goes on, more indented, until its closing quote.
                var scalar = new StringBuilder(value);
                while (value.StartsWith('\'') && !ClosesQuote(scalar.ToString()) && i + 1 < lines.Length)
                {
                    scalar.Append(' ').Append(lines[++i].Trim());
                }

                signature[key] = Unquote(scalar.ToString());
            }
        }

        return new MlflowModelFile(flavors, Fields(signature.GetValueOrDefault("inputs")), Fields(signature.GetValueOrDefault("outputs")));
    }

    private static (string Key, string Value) KeyValue(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..].Trim());
    }

    private static bool ClosesQuote(string scalar) =>
        scalar.Length > 1 && scalar.EndsWith('\'') && (scalar.Length - scalar.TrimEnd('\'').Length) % 2 == 1;

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '\'' && value[^1] == '\'' ? value[1..^1].Replace("''", "'", StringComparison.Ordinal)
        : value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1]
        : value;

    /// <summary>A signature's column list (<c>[{"type": "double", "name": "x", "required": true}, …]</c>), or null when absent or unreadable.</summary>
    private static List<SignatureField>? Fields(string? json)
    {
        if (string.IsNullOrWhiteSpace(json) || json == "null")
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            return document.RootElement.EnumerateArray().Select((field, index) => new SignatureField(
                field.TryGetProperty("name", out var name) ? name.GetString() ?? "" : $"#{index}",
                TypeOf(field),
                !field.TryGetProperty("required", out var required) || required.ValueKind != JsonValueKind.False)).ToList();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A column's type, or a tensor's dtype and shape (<c>float32 [-1, 4]</c>).</summary>
    private static string TypeOf(JsonElement field)
    {
        var type = field.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        if (type == "tensor" && field.TryGetProperty("tensor-spec", out var spec))
        {
            var dtype = spec.TryGetProperty("dtype", out var d) ? d.GetString() : "?";
            var shape = spec.TryGetProperty("shape", out var s) ? s.GetRawText() : "";
            return $"{dtype} {shape}".Trim();
        }

        return type;
    }
}
