using System.Text.RegularExpressions;
using Kiln.Core.Common;

namespace Kiln.Core.Tracking;

/// <summary>The checks of mlflow/utils/validation.py, with its messages, applied before anything is stored.</summary>
public static partial class TrackingValidation
{
    private const string BadCharacters =
        "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).";

    [GeneratedRegex(@"^[/\w.\- :]*$")]
    private static partial Regex ValidName();

    public static void MetricName(string? name) => KeyName("metric", name);

    public static void ParamName(string? name) => KeyName("parameter", name);

    public static void TagName(string? name) => KeyName("tag", name);

    public static void ExperimentName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw KilnException.InvalidParameter($"Invalid experiment name: '{name}'");
        }

        Length("Experiment name", TrackingLimits.MaxExperimentNameLength, name);
    }

    public static void Param(Param param)
    {
        ParamName(param.Key);
        Length("Param key", TrackingLimits.MaxEntityKeyLength, param.Key);
        Length("Param value", TrackingLimits.MaxParamValueLength, param.Value);
    }

    public static void Tag(Tag tag)
    {
        TagName(tag.Key);
        Length("Tag key", TrackingLimits.MaxEntityKeyLength, tag.Key);
        Length("Tag value", TrackingLimits.MaxTagValueLength, tag.Value);
    }

    public static void ExperimentTag(Tag tag)
    {
        TagName(tag.Key);
        Length("Tag key", TrackingLimits.MaxExperimentTagKeyLength, tag.Key);
        Length("Tag value", TrackingLimits.MaxExperimentTagValueLength, tag.Value);
    }

    public static void Metric(Metric metric)
    {
        MetricKey(metric.Key);
        MetricPoint(metric);
    }

    public static void MetricKey(string key)
    {
        MetricName(key);
        Length("Metric name", TrackingLimits.MaxEntityKeyLength, key);
    }

    /// <summary>The checks on a point's values, apart from its key (batches check each distinct key once).</summary>
    public static void MetricPoint(Metric metric)
    {
        if (metric.Timestamp < 0)
        {
            throw KilnException.InvalidParameter(
                $"Got invalid timestamp {metric.Timestamp} for metric '{metric.Key}' (value={Format(metric.Value)}). Timestamp must be a nonnegative long (64-bit integer) ");
        }
    }

    public static void BatchLimits(int metrics, int parameters, int tags)
    {
        BatchLimit("metrics", TrackingLimits.MaxMetricsPerBatch, metrics);
        BatchLimit("params", TrackingLimits.MaxParamsTagsPerBatch, parameters);
        BatchLimit("tags", TrackingLimits.MaxParamsTagsPerBatch, tags);
        var total = metrics + parameters + tags;
        if (total > TrackingLimits.MaxEntitiesPerBatch)
        {
            throw KilnException.InvalidParameter(
                $"A batch logging request can contain at most {TrackingLimits.MaxEntitiesPerBatch} metrics, params, and tags in total. Got {total} total.");
        }
    }

    public static void Dataset(DatasetInput input)
    {
        var dataset = input.Dataset;
        Required(dataset.Name, "name");
        Required(dataset.Digest, "digest");
        Required(dataset.SourceType, "source_type");
        Required(dataset.Source, "source");
        Length("Dataset name", TrackingLimits.MaxDatasetNameLength, dataset.Name);
        Length("Dataset digest", TrackingLimits.MaxDatasetDigestLength, dataset.Digest);
        Length("Dataset source", TrackingLimits.MaxDatasetSourceLength, dataset.Source);
        Length("Dataset schema", TrackingLimits.MaxDatasetSchemaLength, dataset.Schema);
        Length("Dataset profile", TrackingLimits.MaxDatasetProfileLength, dataset.Profile);
        foreach (var tag in input.Tags)
        {
            Required(tag.Key, "key");
            Length("Input tag key", TrackingLimits.MaxInputTagKeyLength, tag.Key);
            Length("Input tag value", TrackingLimits.MaxInputTagValueLength, tag.Value);
        }
    }

    public static void Length(string entity, int limit, string? value)
    {
        if (value is not null && value.Length > limit)
        {
            throw KilnException.InvalidParameter(
                $"{entity} '{value[..Math.Min(value.Length, 250)]}' had length {value.Length}, which exceeded length limit of {limit}");
        }
    }

    private static void Required(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw KilnException.InvalidParameter($"Dataset {field} must be specified.");
        }
    }

    private static void BatchLimit(string entity, int limit, int count)
    {
        if (count > limit)
        {
            throw KilnException.InvalidParameter(
                $"A batch logging request can contain at most {limit} {entity}. Got {count} {entity}. Please split up {entity} across multiple requests and try again.");
        }
    }

    private static void KeyName(string kind, string? name)
    {
        if (name is null || !ValidName().IsMatch(name))
        {
            throw KilnException.InvalidParameter($"Invalid {kind} name: '{name}'. {BadCharacters}");
        }

        if (PathNotUnique(name, out var normalized))
        {
            throw KilnException.InvalidParameter(
                $"Invalid {kind} name: '{name}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '{normalized}'");
        }
    }

    /// <summary>True when the name, read as a POSIX path, normalizes to something else (MLflow's path_not_unique).</summary>
    internal static bool PathNotUnique(string name, out string normalized)
    {
        normalized = PosixNormalize(name);
        return normalized != name || normalized == "." || normalized.StartsWith("..", StringComparison.Ordinal) || normalized.StartsWith('/');
    }

    /// <summary>posixpath.normpath: collapse separators and '.', resolve '..' where possible.</summary>
    internal static string PosixNormalize(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }

        var leadingSlashes = path.StartsWith("//", StringComparison.Ordinal) && !path.StartsWith("///", StringComparison.Ordinal) ? 2 : path.StartsWith('/') ? 1 : 0;
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part != ".." || (leadingSlashes == 0 && parts.Count == 0) || (parts.Count > 0 && parts[^1] == ".."))
            {
                parts.Add(part);
            }
            else if (parts.Count > 0)
            {
                parts.RemoveAt(parts.Count - 1);
            }
        }

        var result = new string('/', leadingSlashes) + string.Join('/', parts);
        return result.Length == 0 ? "." : result;
    }

    internal static string Format(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
