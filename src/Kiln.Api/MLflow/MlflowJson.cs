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
        w.WriteString("experiment_id", experiment.ExperimentId);
        w.WriteString("name", experiment.Name);
        w.WriteString("artifact_location", experiment.ArtifactLocation);
        w.WriteString("lifecycle_stage", Stage(experiment.LifecycleStage));
        w.WriteNumber("last_update_time", experiment.LastUpdateTime);
        w.WriteNumber("creation_time", experiment.CreationTime);
        Tags(w, "tags", experiment.Tags);
        w.WriteEndObject();
    }

    public static void Run(Utf8JsonWriter w, Run run)
    {
        w.WriteStartObject();
        w.WritePropertyName("info");
        RunInfo(w, run.Info);
        w.WritePropertyName("data");
        w.WriteStartObject();
        if (run.Data.Metrics.Count > 0)
        {
            w.WriteStartArray("metrics");
            foreach (var metric in run.Data.Metrics)
            {
                Metric(w, metric);
            }

            w.WriteEndArray();
        }

        if (run.Data.Params.Count > 0)
        {
            w.WriteStartArray("params");
            foreach (var param in run.Data.Params)
            {
                KeyValue(w, "key", param.Key, "value", param.Value);
            }

            w.WriteEndArray();
        }

        Tags(w, "tags", run.Data.Tags);
        w.WriteEndObject();
        w.WritePropertyName("inputs");
        w.WriteStartObject();
        if (run.Inputs.Count > 0)
        {
            w.WriteStartArray("dataset_inputs");
            foreach (var input in run.Inputs)
            {
                w.WriteStartObject();
                if (input.Tags.Count > 0)
                {
                    w.WriteStartArray("tags");
                    foreach (var tag in input.Tags)
                    {
                        KeyValue(w, "key", tag.Key, "value", tag.Value);
                    }

                    w.WriteEndArray();
                }

                w.WritePropertyName("dataset");
                w.WriteStartObject();
                w.WriteString("name", input.Dataset.Name);
                w.WriteString("digest", input.Dataset.Digest);
                w.WriteString("source_type", input.Dataset.SourceType);
                w.WriteString("source", input.Dataset.Source);
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
        w.WriteString("run_uuid", info.RunId);
        w.WriteString("run_name", info.RunName);
        w.WriteString("experiment_id", info.ExperimentId);
        w.WriteString("user_id", info.UserId);
        w.WriteString("status", info.Status.ToString().ToUpperInvariant());
        if (info.StartTime is { } start)
        {
            w.WriteNumber("start_time", start);
        }

        if (info.EndTime is { } end)
        {
            w.WriteNumber("end_time", end);
        }

        w.WriteString("artifact_uri", info.ArtifactUri);
        w.WriteString("lifecycle_stage", Stage(info.LifecycleStage));
        w.WriteString("run_id", info.RunId);
        w.WriteEndObject();
    }

    public static void Metric(Utf8JsonWriter w, Metric metric)
    {
        w.WriteStartObject();
        w.WriteString("key", metric.Key);
        Double(w, "value", metric.Value);
        w.WriteNumber("timestamp", metric.Timestamp);
        w.WriteNumber("step", metric.Step);
        w.WriteEndObject();
    }

    public static void RegisteredModel(Utf8JsonWriter w, RegisteredModel model)
    {
        w.WriteStartObject();
        w.WriteString("name", model.Name);
        w.WriteNumber("creation_timestamp", model.CreationTimestamp);
        w.WriteNumber("last_updated_timestamp", model.LastUpdatedTimestamp);
        OptionalString(w, "description", model.Description);
        if (model.LatestVersions.Count > 0)
        {
            w.WriteStartArray("latest_versions");
            foreach (var version in model.LatestVersions)
            {
                ModelVersion(w, version, includeAliases: false);
            }

            w.WriteEndArray();
        }

        Tags(w, "tags", model.Tags);
        if (model.Aliases.Count > 0)
        {
            w.WriteStartArray("aliases");
            foreach (var alias in model.Aliases)
            {
                KeyValue(w, "alias", alias.Alias, "version", alias.Version);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    public static void ModelVersion(Utf8JsonWriter w, ModelVersion version, bool includeAliases = true)
    {
        w.WriteStartObject();
        w.WriteString("name", version.Name);
        w.WriteString("version", version.Version);
        w.WriteNumber("creation_timestamp", version.CreationTimestamp);
        w.WriteNumber("last_updated_timestamp", version.LastUpdatedTimestamp);
        OptionalString(w, "user_id", version.UserId);
        w.WriteString("current_stage", version.CurrentStage);
        OptionalString(w, "description", version.Description);
        w.WriteString("source", version.Source);
        OptionalString(w, "run_id", version.RunId);
        w.WriteString("status", version.Status);
        OptionalString(w, "status_message", version.StatusMessage);
        Tags(w, "tags", version.Tags);
        OptionalString(w, "run_link", version.RunLink);
        if (includeAliases && version.Aliases.Count > 0)
        {
            w.WriteStartArray("aliases");
            foreach (var alias in version.Aliases)
            {
                w.WriteStringValue(alias);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    public static void Tags(Utf8JsonWriter w, string property, IReadOnlyList<Tag> tags)
    {
        if (tags.Count == 0)
        {
            return;
        }

        w.WriteStartArray(property);
        foreach (var tag in tags)
        {
            KeyValue(w, "key", tag.Key, "value", tag.Value);
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

    private static void KeyValue(Utf8JsonWriter w, string keyName, string key, string valueName, string value)
    {
        w.WriteStartObject();
        w.WriteString(keyName, key);
        w.WriteString(valueName, value);
        w.WriteEndObject();
    }

    private static void Double(Utf8JsonWriter w, string property, double value)
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
}
