using System.Globalization;
using System.Text.Json;

namespace Kiln.Clarify.Config;

/// <summary>
/// Reads analysis_config.json (the schema of the SageMaker Python SDK's clarify.py) and checks what can be checked
/// without the data. Everything wrong is a <see cref="ClarifyValidationException"/> naming the field.
/// </summary>
public static class AnalysisConfigParser
{
    private static readonly string[] DatasetTypes = [AnalysisConfig.Csv, AnalysisConfig.JsonLines];
    private static readonly string[] SdkOnlyDatasetTypes = ["application/json", "application/sagemakercapturejson", "application/x-parquet", "application/x-image"];
    private static readonly string[] ContentTypes = ["text/csv", "application/jsonlines", "application/json", "image/jpeg", "image/png", "application/x-npy"];
    private static readonly string[] AcceptTypes = ["text/csv", "application/jsonlines", "application/json"];

    public static AnalysisConfig Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ClarifyValidationException($"analysis_config.json is not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ClarifyValidationException("analysis_config.json must be a JSON object.");
            }
            return Parse(root);
        }
    }

    private static AnalysisConfig Parse(JsonElement root)
    {
        var datasetType = RequiredString(root, "dataset_type").ToLowerInvariant();
        if (!DatasetTypes.Contains(datasetType))
        {
            throw new ClarifyValidationException(SdkOnlyDatasetTypes.Contains(datasetType)
                ? $"dataset_type '{datasetType}' is not supported by Kiln's Clarify; use text/csv or application/jsonlines."
                : $"dataset_type '{datasetType}' is invalid; valid values are text/csv and application/jsonlines.");
        }
        var headers = OptionalStringList(root, "headers");
        if (headers is not null && headers.Distinct(StringComparer.Ordinal).Count() != headers.Count)
        {
            throw new ClarifyValidationException("headers must not repeat a column name.");
        }
        var methods = ParseMethods(root);
        var config = new AnalysisConfig(
            datasetType,
            OptionalString(root, "dataset_uri"),
            headers,
            OptionalColumn(root, "label"),
            OptionalColumn(root, "predicted_label"),
            OptionalString(root, "features"),
            OptionalValues(root, "label_values_or_threshold"),
            OptionalNumber(root, "probability_threshold"),
            ParseFacets(root),
            OptionalColumn(root, "group_variable"),
            OptionalColumnList(root, "excluded_columns"),
            ParsePredictor(root),
            methods);
        Validate(config);
        return config;
    }

    private static void Validate(AnalysisConfig config)
    {
        var methods = config.Methods;
        var bias = methods.PreTrainingBias is not null || methods.PostTrainingBias is not null;
        if (!bias && methods.Shap is null)
        {
            throw new ClarifyValidationException(
                "methods must contain at least one analysis: pre_training_bias, post_training_bias or shap.");
        }
        if (bias)
        {
            if (config.Label is null)
            {
                throw new ClarifyValidationException("label is required for bias analysis.");
            }
            if (config.LabelValuesOrThreshold is not { Count: > 0 })
            {
                throw new ClarifyValidationException("label_values_or_threshold is required for bias analysis and must not be empty.");
            }
            if (config.Facets.Count == 0)
            {
                throw new ClarifyValidationException("facet is required for bias analysis and must name at least one column.");
            }
        }
        if (methods.PostTrainingBias is not null && config.Predictor is null && config.PredictedLabel is null)
        {
            throw new ClarifyValidationException("post_training_bias needs a predictor or a predicted_label column.");
        }
        if (methods.Shap is not null && config.Predictor is null)
        {
            throw new ClarifyValidationException("shap needs a predictor (endpoint_name or model_name).");
        }
        if (config.Headers is { } headers)
        {
            CheckInHeaders(headers, config.Label, "label");
            CheckInHeaders(headers, config.PredictedLabel, "predicted_label");
            CheckInHeaders(headers, config.GroupVariable, "group_variable");
            foreach (var facet in config.Facets)
            {
                CheckInHeaders(headers, facet.Column, "facet");
            }
            foreach (var excluded in config.ExcludedColumns)
            {
                CheckInHeaders(headers, excluded, "excluded_columns");
            }
        }
        if (config.ProbabilityThreshold is < 0 or > 1)
        {
            throw new ClarifyValidationException("probability_threshold must be between 0 and 1.");
        }
    }

    private static void CheckInHeaders(IReadOnlyList<string> headers, ColumnRef? column, string field)
    {
        if (column is not { } c)
        {
            return;
        }
        if (c.Name is not null && !headers.Contains(c.Name))
        {
            throw new ClarifyValidationException($"{field} '{c.Name}' is not one of the headers ({string.Join(", ", headers)}).");
        }
        if (c.Index is { } i && (i < 0 || i >= headers.Count))
        {
            throw new ClarifyValidationException($"{field} index {i} is out of range for {headers.Count} headers.");
        }
    }

    private static MethodsConfig ParseMethods(JsonElement root)
    {
        if (!root.TryGetProperty("methods", out var methods) || methods.ValueKind != JsonValueKind.Object)
        {
            throw new ClarifyValidationException("methods is required and must be an object.");
        }
        var known = new[] { "pre_training_bias", "post_training_bias", "shap", "report", "pdp", "asymmetric_shapley_value" };
        foreach (var property in methods.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                throw new ClarifyValidationException(
                    $"Unknown method '{property.Name}'; valid methods are pre_training_bias, post_training_bias, shap and report.");
            }
            if (property.Name is "pdp" or "asymmetric_shapley_value")
            {
                throw new ClarifyValidationException($"Method '{property.Name}' is not supported by Kiln's Clarify.");
            }
        }
        return new MethodsConfig(
            BiasMethods(methods, "pre_training_bias", Bias.BiasStage.PreTraining),
            BiasMethods(methods, "post_training_bias", Bias.BiasStage.PostTraining),
            methods.TryGetProperty("shap", out var shap) ? ParseShap(shap) : null,
            methods.TryGetProperty("report", out var report) ? ParseReport(report) : null);
    }

    private static List<string>? BiasMethods(JsonElement methods, string name, Bias.BiasStage stage)
    {
        if (!methods.TryGetProperty(name, out var section))
        {
            return null;
        }
        if (section.ValueKind != JsonValueKind.Object || !section.TryGetProperty("methods", out var selection))
        {
            throw new ClarifyValidationException($"methods.{name} must be an object with a \"methods\" field (\"all\" or a list of metric names).");
        }
        List<string> names = selection.ValueKind switch
        {
            JsonValueKind.String => [selection.GetString()!],
            JsonValueKind.Array when selection.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
                [.. selection.EnumerateArray().Select(e => e.GetString()!)],
            _ => throw new ClarifyValidationException($"methods.{name}.methods must be \"all\" or a list of metric names."),
        };
        if (names.Count == 0)
        {
            throw new ClarifyValidationException($"methods.{name}.methods must not be empty.");
        }
        if (!(names.Count == 1 && names[0] == "all"))
        {
            _ = Bias.BiasMetric.Select(names, stage);
        }
        return names;
    }

    private static ShapConfig ParseShap(JsonElement shap)
    {
        if (shap.ValueKind != JsonValueKind.Object)
        {
            throw new ClarifyValidationException("methods.shap must be an object.");
        }
        var agg = (OptionalString(shap, "agg_method", "methods.shap.") ?? "mean_abs").ToLowerInvariant() switch
        {
            "mean_abs" => ShapAggregation.MeanAbs,
            "median" => ShapAggregation.Median,
            "mean_sq" => ShapAggregation.MeanSq,
            var other => throw new ClarifyValidationException(
                $"methods.shap.agg_method '{other}' is invalid; valid values are mean_abs, median and mean_sq."),
        };
        var numSamples = OptionalInt(shap, "num_samples", "methods.shap.");
        if (numSamples is <= 0)
        {
            throw new ClarifyValidationException("methods.shap.num_samples must be a positive integer.");
        }
        var numClusters = OptionalInt(shap, "num_clusters", "methods.shap.");
        IReadOnlyList<IReadOnlyList<string?>>? rows = null;
        string? uri = null;
        if (shap.TryGetProperty("baseline", out var baseline))
        {
            if (numClusters is not null)
            {
                throw new ClarifyValidationException("methods.shap: baseline and num_clusters cannot be given together.");
            }
            if (baseline.ValueKind == JsonValueKind.String)
            {
                uri = baseline.GetString();
            }
            else
            {
                rows = BaselineRows(baseline);
            }
        }
        return new ShapConfig(
            rows,
            uri,
            numSamples,
            agg,
            OptionalBool(shap, "use_logit", "methods.shap.") ?? false,
            OptionalBool(shap, "save_local_shap_values", "methods.shap.") ?? true,
            OptionalInt(shap, "seed", "methods.shap."),
            numClusters);
    }

    private static List<IReadOnlyList<string?>> BaselineRows(JsonElement baseline)
    {
        if (baseline.ValueKind != JsonValueKind.Array || baseline.GetArrayLength() == 0)
        {
            throw new ClarifyValidationException("methods.shap.baseline must be an S3 URI or a non-empty list of rows.");
        }
        var rows = new List<IReadOnlyList<string?>>();
        foreach (var row in baseline.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array)
            {
                throw new ClarifyValidationException("methods.shap.baseline rows must be lists of feature values (CSV rows).");
            }
            rows.Add([.. row.EnumerateArray().Select(cell => cell.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => cell.GetString(),
                JsonValueKind.Number => cell.GetRawText(),
                _ => throw new ClarifyValidationException("methods.shap.baseline cells must be numbers, strings or null."),
            })]);
        }
        if (rows.Select(r => r.Count).Distinct().Count() != 1)
        {
            throw new ClarifyValidationException("methods.shap.baseline rows must all have the same number of values.");
        }
        return rows;
    }

    private static ReportConfig ParseReport(JsonElement report)
    {
        if (report.ValueKind != JsonValueKind.Object)
        {
            throw new ClarifyValidationException("methods.report must be an object with a name.");
        }
        var name = RequiredString(report, "name", "methods.report.");
        if (name.Length == 0 || name.IndexOfAny(['/', '\\']) >= 0 || name is "." or "..")
        {
            throw new ClarifyValidationException("methods.report.name must be a plain file name.");
        }
        return new ReportConfig(name, OptionalString(report, "title", "methods.report.") ?? "Analysis Report");
    }

    private static List<FacetConfig> ParseFacets(JsonElement root)
    {
        if (!root.TryGetProperty("facet", out var facets))
        {
            return [];
        }
        if (facets.ValueKind != JsonValueKind.Array)
        {
            throw new ClarifyValidationException("facet must be a list of {name_or_index, value_or_threshold} objects.");
        }
        var result = new List<FacetConfig>();
        foreach (var facet in facets.EnumerateArray())
        {
            if (facet.ValueKind != JsonValueKind.Object)
            {
                throw new ClarifyValidationException("facet must be a list of {name_or_index, value_or_threshold} objects.");
            }
            var column = OptionalColumn(facet, "name_or_index", "facet[].")
                ?? throw new ClarifyValidationException("facet[].name_or_index is required.");
            var values = OptionalValues(facet, "value_or_threshold", "facet[].");
            if (values is { Count: 0 })
            {
                throw new ClarifyValidationException($"facet '{column}' value_or_threshold must not be empty; omit it to report every value.");
            }
            result.Add(new FacetConfig(column, values));
        }
        return result;
    }

    private static PredictorConfig? ParsePredictor(JsonElement root)
    {
        if (!root.TryGetProperty("predictor", out var p))
        {
            return null;
        }
        if (p.ValueKind != JsonValueKind.Object)
        {
            throw new ClarifyValidationException("predictor must be an object.");
        }
        const string at = "predictor.";
        var endpoint = OptionalString(p, "endpoint_name", at);
        var model = OptionalString(p, "model_name", at);
        if (endpoint is null && model is null)
        {
            throw new ClarifyValidationException("predictor needs endpoint_name or model_name.");
        }
        var contentType = OptionalString(p, "content_type", at)?.ToLowerInvariant();
        if (contentType is not null && !ContentTypes.Contains(contentType))
        {
            throw new ClarifyValidationException($"predictor.content_type '{contentType}' is invalid; valid values are {string.Join(", ", ContentTypes)}.");
        }
        var acceptType = OptionalString(p, "accept_type", at)?.ToLowerInvariant();
        if (acceptType is not null && !AcceptTypes.Contains(acceptType))
        {
            throw new ClarifyValidationException($"predictor.accept_type '{acceptType}' is invalid; valid values are {string.Join(", ", AcceptTypes)}.");
        }
        var count = OptionalInt(p, "initial_instance_count", at);
        if (count is <= 0)
        {
            throw new ClarifyValidationException("predictor.initial_instance_count must be a positive integer.");
        }
        string? template = null;
        if (p.TryGetProperty("content_template", out var t))
        {
            template = t.ValueKind is JsonValueKind.String or JsonValueKind.Object
                ? (t.ValueKind == JsonValueKind.String ? t.GetString() : t.GetRawText())
                : throw new ClarifyValidationException("predictor.content_template must be a string or an object.");
        }
        return new PredictorConfig(endpoint, model, OptionalString(p, "instance_type", at), count, contentType, acceptType,
            OptionalColumn(p, "label", at), OptionalColumn(p, "probability", at), OptionalStringList(p, "label_headers", at),
            template, OptionalString(p, "custom_attributes", at));
    }

    private static string RequiredString(JsonElement obj, string name, string at = "") =>
        OptionalString(obj, name, at) ?? throw new ClarifyValidationException($"{at}{name} is required.");

    private static string? OptionalString(JsonElement obj, string name, string at = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new ClarifyValidationException($"{at}{name} must be a string.");
    }

    private static List<string>? OptionalStringList(JsonElement obj, string name, string at = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw new ClarifyValidationException($"{at}{name} must be a list of strings.");
        }
        return [.. value.EnumerateArray().Select(e => e.GetString()!)];
    }

    private static int? OptionalInt(JsonElement obj, string name, string at = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i)
            ? i
            : throw new ClarifyValidationException($"{at}{name} must be an integer.");
    }

    private static double? OptionalNumber(JsonElement obj, string name, string at = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : throw new ClarifyValidationException($"{at}{name} must be a number.");
    }

    private static bool? OptionalBool(JsonElement obj, string name, string at = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : throw new ClarifyValidationException($"{at}{name} must be true or false.");
    }

    private static ColumnRef? OptionalColumn(JsonElement obj, string name, string at = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return Column(value, $"{at}{name}");
    }

    private static ColumnRef Column(JsonElement value, string field)
    {
        if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s)
        {
            return new ColumnRef(s, null);
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i) && i >= 0)
        {
            return new ColumnRef(null, i);
        }
        throw new ClarifyValidationException($"{field} must be a column name or a non-negative column index.");
    }

    private static List<ColumnRef> OptionalColumnList(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new ClarifyValidationException($"{name} must be a list of column names or indexes.");
        }
        return [.. value.EnumerateArray().Select(e => Column(e, name))];
    }

    private static List<ConfigValue>? OptionalValues(JsonElement obj, string name, string at = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new ClarifyValidationException($"{at}{name} must be a list of values or a one-element list with a threshold.");
        }
        return [.. value.EnumerateArray().Select(e => e.ValueKind switch
        {
            JsonValueKind.String => ConfigValue.String(e.GetString()!),
            JsonValueKind.Number when IsIntegerLiteral(e) && e.TryGetInt64(out var l) => ConfigValue.Integer(l),
            JsonValueKind.Number => ConfigValue.Float(e.GetDouble()),
            _ => throw new ClarifyValidationException($"{at}{name} values must be numbers or strings."),
        })];
    }

    /// <summary>Python's json keeps 1 an int and 1.0 a float, and Clarify formats them differently.</summary>
    private static bool IsIntegerLiteral(JsonElement e)
    {
        var raw = e.GetRawText();
        return raw.IndexOfAny(['.', 'e', 'E']) < 0 && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
    }
}
