using System.Text.Json;
using Kiln.Core.Registry;
using Kiln.Core.Tracking;

namespace Kiln.Api.MLflow;

/// <summary>
/// Domain records as MLflow's protobuf JSON: snake_case names, int64 as JSON numbers, unset fields and
/// empty lists omitted, non-finite doubles as "NaN" / "Infinity" / "-Infinity".
/// </summary>
internal static class MlflowJson
{
    public static void Experiment(Utf8JsonWriter w, Experiment experiment)
    {
        w.WriteStartObject();
        w.WriteString(Names.ExperimentId, experiment.ExperimentId);
        w.WriteString(Names.Name, experiment.Name);
        w.WriteString(Names.ArtifactLocation, experiment.ArtifactLocation);
        w.WriteString(Names.LifecycleStage, Stage(experiment.LifecycleStage));
        w.WriteNumber(Names.LastUpdateTime, experiment.LastUpdateTime);
        w.WriteNumber(Names.CreationTime, experiment.CreationTime);
        Tags(w, Names.Tags, experiment.Tags);
        w.WriteEndObject();
    }

    public static void Run(Utf8JsonWriter w, Run run)
    {
        w.WriteStartObject();
        w.WritePropertyName(Names.Info);
        RunInfo(w, run.Info);
        w.WritePropertyName(Names.Data);
        w.WriteStartObject();
        if (run.Data.Metrics.Count > 0)
        {
            w.WriteStartArray(Names.Metrics);
            foreach (var metric in run.Data.Metrics)
            {
                Metric(w, metric);
            }

            w.WriteEndArray();
        }

        if (run.Data.Params.Count > 0)
        {
            w.WriteStartArray(Names.Params);
            foreach (var param in run.Data.Params)
            {
                KeyValue(w, Names.Key, param.Key, Names.Value, param.Value);
            }

            w.WriteEndArray();
        }

        Tags(w, Names.Tags, run.Data.Tags);
        w.WriteEndObject();
        w.WritePropertyName(Names.Inputs);
        w.WriteStartObject();
        if (run.Inputs.Count > 0)
        {
            w.WriteStartArray(Names.DatasetInputs);
            foreach (var input in run.Inputs)
            {
                w.WriteStartObject();
                if (input.Tags.Count > 0)
                {
                    w.WriteStartArray(Names.Tags);
                    foreach (var tag in input.Tags)
                    {
                        KeyValue(w, Names.Key, tag.Key, Names.Value, tag.Value);
                    }

                    w.WriteEndArray();
                }

                w.WritePropertyName(Names.Dataset);
                w.WriteStartObject();
                w.WriteString(Names.Name, input.Dataset.Name);
                w.WriteString(Names.Digest, input.Dataset.Digest);
                w.WriteString(Names.SourceType, input.Dataset.SourceType);
                w.WriteString(Names.Source, input.Dataset.Source);
                OptionalString(w, "schema", input.Dataset.Schema);
                OptionalString(w, "profile", input.Dataset.Profile);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void RunInfo(Utf8JsonWriter w, RunInfo info)
    {
        w.WriteStartObject();
        w.WriteString(Names.RunUuid, info.RunId);
        w.WriteString(Names.RunName, info.RunName);
        w.WriteString(Names.ExperimentId, info.ExperimentId);
        w.WriteString(Names.UserId, info.UserId);
        w.WriteString(Names.Status, info.Status.ToString().ToUpperInvariant());
        if (info.StartTime is { } start)
        {
            w.WriteNumber(Names.StartTime, start);
        }

        if (info.EndTime is { } end)
        {
            w.WriteNumber(Names.EndTime, end);
        }

        w.WriteString(Names.ArtifactUri, info.ArtifactUri);
        w.WriteString(Names.LifecycleStage, Stage(info.LifecycleStage));
        w.WriteString(Names.RunId, info.RunId);
        w.WriteEndObject();
    }

    public static void Metric(Utf8JsonWriter w, Metric metric)
    {
        w.WriteStartObject();
        w.WriteString(Names.Key, metric.Key);
        Double(w, Names.Value, metric.Value);
        w.WriteNumber(Names.Timestamp, metric.Timestamp);
        w.WriteNumber(Names.Step, metric.Step);
        w.WriteEndObject();
    }

    public static void RegisteredModel(Utf8JsonWriter w, RegisteredModel model)
    {
        w.WriteStartObject();
        w.WriteString(Names.Name, model.Name);
        w.WriteNumber(Names.CreationTimestamp, model.CreationTimestamp);
        w.WriteNumber(Names.LastUpdatedTimestamp, model.LastUpdatedTimestamp);
        OptionalString(w, "description", model.Description);
        if (model.LatestVersions.Count > 0)
        {
            w.WriteStartArray(Names.LatestVersions);
            foreach (var version in model.LatestVersions)
            {
                ModelVersion(w, version, includeAliases: false);
            }

            w.WriteEndArray();
        }

        Tags(w, Names.Tags, model.Tags);
        if (model.Aliases.Count > 0)
        {
            w.WriteStartArray(Names.Aliases);
            foreach (var alias in model.Aliases)
            {
                KeyValue(w, Names.Alias, alias.Alias, Names.Version, alias.Version);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    public static void ModelVersion(Utf8JsonWriter w, ModelVersion version, bool includeAliases = true)
    {
        w.WriteStartObject();
        w.WriteString(Names.Name, version.Name);
        w.WriteString(Names.Version, version.Version);
        w.WriteNumber(Names.CreationTimestamp, version.CreationTimestamp);
        w.WriteNumber(Names.LastUpdatedTimestamp, version.LastUpdatedTimestamp);
        OptionalString(w, "user_id", version.UserId);
        w.WriteString(Names.CurrentStage, version.CurrentStage);
        OptionalString(w, "description", version.Description);
        w.WriteString(Names.Source, version.Source);
        OptionalString(w, "run_id", version.RunId);
        w.WriteString(Names.Status, version.Status);
        OptionalString(w, "status_message", version.StatusMessage);
        Tags(w, Names.Tags, version.Tags);
        OptionalString(w, "run_link", version.RunLink);
        if (includeAliases && version.Aliases.Count > 0)
        {
            w.WriteStartArray(Names.Aliases);
            foreach (var alias in version.Aliases)
            {
                w.WriteStringValue(alias);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    public static void Tags(Utf8JsonWriter w, JsonEncodedText property, IReadOnlyList<Tag> tags)
    {
        if (tags.Count == 0)
        {
            return;
        }

        w.WriteStartArray(property);
        foreach (var tag in tags)
        {
            KeyValue(w, Names.Key, tag.Key, Names.Value, tag.Value);
        }

        w.WriteEndArray();
    }

    public static void OptionalString(Utf8JsonWriter w, string property, string? value)
    {
        if (value is not null)
        {
            w.WriteString(property, value);
        }
    }

    private static void KeyValue(Utf8JsonWriter w, JsonEncodedText keyName, string key, JsonEncodedText valueName, string value)
    {
        w.WriteStartObject();
        w.WriteString(keyName, key);
        w.WriteString(valueName, value);
        w.WriteEndObject();
    }

    private static void Double(Utf8JsonWriter w, JsonEncodedText property, double value)
    {
        if (double.IsNaN(value))
        {
            w.WriteString(property, "NaN");
        }
        else if (double.IsPositiveInfinity(value))
        {
            w.WriteString(property, "Infinity");
        }
        else if (double.IsNegativeInfinity(value))
        {
            w.WriteString(property, "-Infinity");
        }
        else
        {
            w.WriteNumber(property, value);
        }
    }

    private static string Stage(LifecycleStage stage) => stage == LifecycleStage.Active ? "active" : "deleted";

    /// <summary>Property names encoded once: a search response writes tens of thousands of them.</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Alias = JsonEncodedText.Encode("alias");
        public static readonly JsonEncodedText Aliases = JsonEncodedText.Encode("aliases");
        public static readonly JsonEncodedText ArtifactLocation = JsonEncodedText.Encode("artifact_location");
        public static readonly JsonEncodedText ArtifactUri = JsonEncodedText.Encode("artifact_uri");
        public static readonly JsonEncodedText CreationTime = JsonEncodedText.Encode("creation_time");
        public static readonly JsonEncodedText CreationTimestamp = JsonEncodedText.Encode("creation_timestamp");
        public static readonly JsonEncodedText CurrentStage = JsonEncodedText.Encode("current_stage");
        public static readonly JsonEncodedText Data = JsonEncodedText.Encode("data");
        public static readonly JsonEncodedText Dataset = JsonEncodedText.Encode("dataset");
        public static readonly JsonEncodedText DatasetInputs = JsonEncodedText.Encode("dataset_inputs");
        public static readonly JsonEncodedText Digest = JsonEncodedText.Encode("digest");
        public static readonly JsonEncodedText EndTime = JsonEncodedText.Encode("end_time");
        public static readonly JsonEncodedText ExperimentId = JsonEncodedText.Encode("experiment_id");
        public static readonly JsonEncodedText Info = JsonEncodedText.Encode("info");
        public static readonly JsonEncodedText Inputs = JsonEncodedText.Encode("inputs");
        public static readonly JsonEncodedText Key = JsonEncodedText.Encode("key");
        public static readonly JsonEncodedText LastUpdateTime = JsonEncodedText.Encode("last_update_time");
        public static readonly JsonEncodedText LastUpdatedTimestamp = JsonEncodedText.Encode("last_updated_timestamp");
        public static readonly JsonEncodedText LatestVersions = JsonEncodedText.Encode("latest_versions");
        public static readonly JsonEncodedText LifecycleStage = JsonEncodedText.Encode("lifecycle_stage");
        public static readonly JsonEncodedText Metrics = JsonEncodedText.Encode("metrics");
        public static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
        public static readonly JsonEncodedText Params = JsonEncodedText.Encode("params");
        public static readonly JsonEncodedText RunId = JsonEncodedText.Encode("run_id");
        public static readonly JsonEncodedText RunName = JsonEncodedText.Encode("run_name");
        public static readonly JsonEncodedText RunUuid = JsonEncodedText.Encode("run_uuid");
        public static readonly JsonEncodedText Source = JsonEncodedText.Encode("source");
        public static readonly JsonEncodedText SourceType = JsonEncodedText.Encode("source_type");
        public static readonly JsonEncodedText StartTime = JsonEncodedText.Encode("start_time");
        public static readonly JsonEncodedText Status = JsonEncodedText.Encode("status");
        public static readonly JsonEncodedText Step = JsonEncodedText.Encode("step");
        public static readonly JsonEncodedText Tags = JsonEncodedText.Encode("tags");
        public static readonly JsonEncodedText Timestamp = JsonEncodedText.Encode("timestamp");
        public static readonly JsonEncodedText UserId = JsonEncodedText.Encode("user_id");
        public static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
        public static readonly JsonEncodedText Version = JsonEncodedText.Encode("version");
    }
}
