using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Core.Common;
using Microsoft.Extensions.Primitives;

namespace Kiln.Api.MLflow;

/// <summary>
/// The fields of one MLflow request, from the JSON body (POST, PATCH, DELETE) or the query string (GET),
/// read with the protobuf JSON rules MLflow applies: numbers may arrive as numeric strings, strings must be
/// strings, repeated fields are arrays. A field of the wrong type is refused with MLflow's message.
/// </summary>
internal sealed class MlflowRequest
{
    private readonly JsonElement? _body;
    private readonly IReadOnlyDictionary<string, List<string>>? _query;

    private MlflowRequest(JsonElement? body, IReadOnlyDictionary<string, List<string>>? query)
    {
        _body = body;
        _query = query;
    }

    public static MlflowRequest FromJson(JsonElement body) => new(body, null);

    /// <summary>Query strings repeat keys for lists: <c>ids=1&amp;ids=2</c>, <c>ids[]=1</c> or <c>ids[0]=1</c>.</summary>
    public static MlflowRequest FromQuery(IQueryCollection query)
    {
        var fields = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (rawKey, values) in query)
        {
            var key = rawKey;
            var bracket = key.IndexOf('[', StringComparison.Ordinal);
            if (bracket > 0 && key.EndsWith(']'))
            {
                key = key[..bracket];
            }

            if (!fields.TryGetValue(key, out var list))
            {
                fields[key] = list = [];
            }

            list.AddRange(values.Where(value => value is not null)!);
        }

        return new MlflowRequest(null, fields);
    }

    public bool Has(string name) => _body is { } body
        ? body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
        : _query!.ContainsKey(name);

    public string? String(string name, bool required = false)
    {
        string? result = null;
        if (_body is { } body)
        {
            if (body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                result = value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType(name, value);
            }
        }
        else if (_query!.TryGetValue(name, out var values) && values.Count > 0)
        {
            result = values[^1];
        }

        if (required && string.IsNullOrEmpty(result))
        {
            throw Missing(name);
        }

        return result;
    }

    /// <summary>A required string that MLflow also accepts under a legacy name (run_id / run_uuid).</summary>
    public string RequiredEither(string name, string legacyName)
    {
        var value = String(name) ?? String(legacyName);
        return string.IsNullOrEmpty(value) ? throw Missing(name) : value;
    }

    public long? Long(string name, bool required = false)
    {
        var raw = Raw(name);
        if (raw is null)
        {
            return required ? throw Missing(name) : null;
        }

        var (value, text) = raw.Value;
        if (value is { ValueKind: JsonValueKind.Number } number)
        {
            if (number.TryGetInt64(out var whole))
            {
                return whole;
            }

            if (number.TryGetDouble(out var real) && real == Math.Floor(real) && Math.Abs(real) < 9.2e18)
            {
                return (long)real;
            }
        }
        else if (text is not null && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        throw WrongType(name, value, text);
    }

    public int? Int(string name)
    {
        var value = Long(name);
        if (value is null)
        {
            return null;
        }

        return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw WrongType(name, Raw(name)!.Value.Element, Raw(name)!.Value.Text);
    }

    /// <summary>A double, including protobuf's spellings of the special values ("NaN", "Infinity", "-Infinity").</summary>
    public double? Double(string name, bool required = false)
    {
        var raw = Raw(name);
        if (raw is null)
        {
            return required ? throw Missing(name) : null;
        }

        var (value, text) = raw.Value;
        if (value is { ValueKind: JsonValueKind.Number } number && number.TryGetDouble(out var real))
        {
            return real;
        }

        if (text is not null)
        {
            switch (text)
            {
                case "NaN":
                    return double.NaN;
                case "Infinity":
                    return double.PositiveInfinity;
                case "-Infinity":
                    return double.NegativeInfinity;
            }

            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
            {
                return parsed;
            }
        }

        throw WrongType(name, value, text);
    }

    public bool? Bool(string name)
    {
        var raw = Raw(name);
        if (raw is null)
        {
            return null;
        }

        var (value, text) = raw.Value;
        if (value is { ValueKind: JsonValueKind.True or JsonValueKind.False } flag)
        {
            return flag.GetBoolean();
        }

        if (value is null && text is not null && bool.TryParse(text, out var parsed))
        {
            return parsed;
        }

        throw WrongType(name, value, text);
    }

    public IReadOnlyList<string> StringList(string name)
    {
        if (_body is { } body)
        {
            if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return [];
            }

            if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.String))
            {
                throw WrongType(name, value);
            }

            return value.EnumerateArray().Select(item => item.GetString()!).ToList();
        }

        return _query!.TryGetValue(name, out var values) ? values : [];
    }

    /// <summary>A repeated message field: each element must be an object.</summary>
    public IReadOnlyList<MlflowRequest> Objects(string name)
    {
        if (_body is not { } body || !body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.Object))
        {
            throw WrongType(name, value);
        }

        return value.EnumerateArray().Select(FromJson).ToList();
    }

    /// <summary>A nested message field (an object), or null when absent.</summary>
    public MlflowRequest? Object(string name)
    {
        if (_body is not { } body || !body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Object ? FromJson(value) : throw WrongType(name, value);
    }

    public static KilnException Missing(string name) => KilnException.InvalidParameter(
        $"Missing value for required parameter '{name}'. See the API docs for more information about request parameters.");

    private (JsonElement? Element, string? Text)? Raw(string name)
    {
        if (_body is { } body)
        {
            if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return (value, value.ValueKind == JsonValueKind.String ? value.GetString() : null);
        }

        return _query!.TryGetValue(name, out var values) && values.Count > 0 ? (null, values[^1]) : null;
    }

    private static KilnException WrongType(string name, JsonElement? value, string? text = null)
    {
        var (shown, type) = value is { } element ? PythonView(element) : (text ?? "None", "str");
        return KilnException.InvalidParameter(
            $"Invalid value {shown} for parameter '{name}' supplied. Hint: Value was of type '{type}'. See the API docs for more information about request parameters.");
    }

    /// <summary>How Python prints a decoded JSON value and its type name: MLflow's messages show values that way.</summary>
    private static (string Shown, string Type) PythonView(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => (value.GetString()!, "str"),
        JsonValueKind.Number => value.TryGetInt64(out _) ? (value.GetRawText(), "int") : (value.GetRawText(), "float"),
        JsonValueKind.True => ("True", "bool"),
        JsonValueKind.False => ("False", "bool"),
        JsonValueKind.Array => (Repr(value), "list"),
        JsonValueKind.Object => (Repr(value), "dict"),
        _ => ("None", "NoneType"),
    };

    private static string Repr(JsonElement value)
    {
        var builder = new StringBuilder();
        AppendRepr(builder, value);
        return builder.ToString();
    }

    private static void AppendRepr(StringBuilder builder, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                builder.Append('\'').Append(value.GetString()).Append('\'');
                break;
            case JsonValueKind.Array:
                builder.Append('[');
                var first = true;
                foreach (var item in value.EnumerateArray())
                {
                    builder.Append(first ? "" : ", ");
                    AppendRepr(builder, item);
                    first = false;
                }

                builder.Append(']');
                break;
            case JsonValueKind.Object:
                builder.Append('{');
                var firstProperty = true;
                foreach (var property in value.EnumerateObject())
                {
                    builder.Append(firstProperty ? "" : ", ").Append('\'').Append(property.Name).Append("': ");
                    AppendRepr(builder, property.Value);
                    firstProperty = false;
                }

                builder.Append('}');
                break;
            default:
                builder.Append(PythonView(value).Shown);
                break;
        }
    }
}
