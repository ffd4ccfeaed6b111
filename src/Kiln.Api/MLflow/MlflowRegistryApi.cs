using Kiln.Core.Common;
using Kiln.Core.Registry;
using Kiln.Core.Security.Permissions;
using Kiln.Core.Tracking;

namespace Kiln.Api.MLflow;

/// <summary>MLflow's model registry service (model_registry.proto).</summary>
internal static class MlflowRegistryApi
{
    public static IEnumerable<MlflowRoute> Routes =>
    [
        new("POST", "registered-models/create", CreateModel),
        new("GET", "registered-models/get", GetModel),
        new("POST", "registered-models/rename", RenameModel),
        new("PATCH", "registered-models/update", UpdateModel),
        new("DELETE", "registered-models/delete", DeleteModel),
        new("GET", "registered-models/search", SearchModels),
        new("POST", "registered-models/get-latest-versions", GetLatestVersions),
        new("GET", "registered-models/get-latest-versions", GetLatestVersions),
        new("POST", "registered-models/set-tag", SetModelTag),
        new("DELETE", "registered-models/delete-tag", DeleteModelTag),
        new("POST", "registered-models/alias", SetAlias),
        new("DELETE", "registered-models/alias", DeleteAlias),
        new("GET", "registered-models/alias", GetByAlias),
        new("POST", "model-versions/create", CreateVersion),
        new("GET", "model-versions/get", GetVersion),
        new("PATCH", "model-versions/update", UpdateVersion),
        new("DELETE", "model-versions/delete", DeleteVersion),
        new("POST", "model-versions/transition-stage", TransitionStage),
        new("GET", "model-versions/search", SearchVersions),
        new("GET", "model-versions/get-download-uri", GetDownloadUri),
        new("POST", "model-versions/set-tag", SetVersionTag),
        new("DELETE", "model-versions/delete-tag", DeleteVersionTag),
    ];

    private static async Task CreateModel(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        var model = await call.Registry.CreateRegisteredModelAsync(name, ReadTags(call.Request), call.Request.String("description"), call.Aborted);
        await call.GrantCreatorAsync(ResourceKind.RegisteredModel, model.Name);
        WriteModel(call, model);
    }

    private static async Task GetModel(MlflowCall call) =>
        WriteModel(call, await call.Registry.GetRegisteredModelAsync(call.Request.String("name", required: true), call.Aborted));

    private static async Task RenameModel(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        var model = await call.Registry.RenameRegisteredModelAsync(name, call.Request.String("new_name", required: true), call.Aborted);
        await call.Permissions.Store.RenameResourceAsync(ResourceKind.RegisteredModel, name!, model.Name, call.Aborted);
        WriteModel(call, model);
    }

    private static async Task UpdateModel(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        WriteModel(call, await call.Registry.UpdateRegisteredModelAsync(name, call.Request.String("description"), call.Aborted));
    }

    private static async Task DeleteModel(MlflowCall call)
    {
        var name = call.Request.String("name", required: true)!;
        await call.Registry.DeleteRegisteredModelAsync(name, call.Aborted);
        await call.Permissions.Store.DeleteForResourceAsync(ResourceKind.RegisteredModel, name, call.Aborted);
        call.Empty();
    }

    private static async Task SearchModels(MlflowCall call)
    {
        var page = await call.Registry.SearchRegisteredModelsAsync(
            call.Request.String("filter"), MaxResults(call.Request), call.Request.StringList("order_by"), call.Request.String("page_token"), call.Aborted);
        var models = await call.ReadableAsync(page.Items, ResourceKind.RegisteredModel, model => model.Name);
        call.Json.WriteStartObject();
        if (models.Count > 0)
        {
            call.Json.WriteStartArray("registered_models");
            foreach (var model in models)
            {
                MlflowJson.RegisteredModel(call.Json, model);
            }

            call.Json.WriteEndArray();
        }

        MlflowJson.OptionalString(call.Json, "next_page_token", page.NextPageToken);
        call.Json.WriteEndObject();
    }

    private static async Task GetLatestVersions(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        var versions = await call.Registry.GetLatestVersionsAsync(name, call.Request.StringList("stages"), call.Aborted);
        call.Json.WriteStartObject();
        if (versions.Count > 0)
        {
            call.Json.WriteStartArray("model_versions");
            foreach (var version in versions)
            {
                MlflowJson.ModelVersion(call.Json, version);
            }

            call.Json.WriteEndArray();
        }

        call.Json.WriteEndObject();
    }

    private static async Task SetModelTag(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        var key = call.Request.String("key", required: true)!;
        await call.Registry.SetRegisteredModelTagAsync(name, new Tag(key, call.Request.String("value", required: true)!), call.Aborted);
        call.Empty();
    }

    private static async Task DeleteModelTag(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        await call.Registry.DeleteRegisteredModelTagAsync(name, call.Request.String("key", required: true), call.Aborted);
        call.Empty();
    }

    private static async Task SetAlias(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        var alias = call.Request.String("alias", required: true);
        await call.Registry.SetAliasAsync(name, alias, call.Request.String("version", required: true), call.Aborted);
        call.Empty();
    }

    private static async Task DeleteAlias(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        await call.Registry.DeleteAliasAsync(name, call.Request.String("alias", required: true), call.Aborted);
        call.Empty();
    }

    private static async Task GetByAlias(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        WriteVersion(call, await call.Registry.GetModelVersionByAliasAsync(name, call.Request.String("alias", required: true), call.Aborted));
    }

    private static async Task CreateVersion(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        var source = call.Request.String("source", required: true);
        var version = await call.Registry.CreateModelVersionAsync(
            name, source, call.Request.String("run_id"), ReadTags(call.Request), call.Request.String("run_link"), call.Request.String("description"), call.Aborted);
        WriteVersion(call, version);
    }

    private static async Task GetVersion(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        WriteVersion(call, await call.Registry.GetModelVersionAsync(name, call.Request.String("version", required: true), call.Aborted));
    }

    private static async Task UpdateVersion(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        var version = call.Request.String("version", required: true);
        WriteVersion(call, await call.Registry.UpdateModelVersionAsync(name, version, call.Request.String("description"), call.Aborted));
    }

    private static async Task DeleteVersion(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        await call.Registry.DeleteModelVersionAsync(name, call.Request.String("version", required: true), call.Aborted);
        call.Empty();
    }

    private static async Task TransitionStage(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        var version = call.Request.String("version", required: true);
        var stage = call.Request.String("stage", required: true);
        var archive = call.Request.Bool("archive_existing_versions") ?? throw MlflowRequest.Missing("archive_existing_versions");
        WriteVersion(call, await call.Registry.TransitionStageAsync(name, version, stage, archive, call.Aborted));
    }

    private static async Task SearchVersions(MlflowCall call)
    {
        var page = await call.Registry.SearchModelVersionsAsync(
            call.Request.String("filter"), MaxResults(call.Request), call.Request.StringList("order_by"), call.Request.String("page_token"), call.Aborted);
        var versions = await call.ReadableAsync(page.Items, ResourceKind.RegisteredModel, version => version.Name);
        call.Json.WriteStartObject();
        if (versions.Count > 0)
        {
            call.Json.WriteStartArray("model_versions");
            foreach (var version in versions)
            {
                MlflowJson.ModelVersion(call.Json, version);
            }

            call.Json.WriteEndArray();
        }

        MlflowJson.OptionalString(call.Json, "next_page_token", page.NextPageToken);
        call.Json.WriteEndObject();
    }

    private static async Task GetDownloadUri(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        var uri = await call.Registry.GetDownloadUriAsync(name, call.Request.String("version", required: true), call.Aborted);
        call.Json.WriteStartObject();
        call.Json.WriteString("artifact_uri", uri);
        call.Json.WriteEndObject();
    }

    private static async Task SetVersionTag(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        var version = call.Request.String("version", required: true);
        var key = call.Request.String("key", required: true)!;
        await call.Registry.SetModelVersionTagAsync(name, version, new Tag(key, call.Request.String("value", required: true)!), call.Aborted);
        call.Empty();
    }

    private static async Task DeleteVersionTag(MlflowCall call)
    {
        var name = call.Request.String("name", required: true);
        var version = call.Request.String("version", required: true);
        await call.Registry.DeleteModelVersionTagAsync(name, version, call.Request.String("key", required: true), call.Aborted);
        call.Empty();
    }

    private static void WriteModel(MlflowCall call, RegisteredModel model)
    {
        call.Json.WriteStartObject();
        call.Json.WritePropertyName("registered_model");
        MlflowJson.RegisteredModel(call.Json, model);
        call.Json.WriteEndObject();
    }

    private static void WriteVersion(MlflowCall call, ModelVersion version)
    {
        call.Json.WriteStartObject();
        call.Json.WritePropertyName("model_version");
        MlflowJson.ModelVersion(call.Json, version);
        call.Json.WriteEndObject();
    }

    private static List<Tag> ReadTags(MlflowRequest request) =>
        request.Objects("tags").Select(tag => new Tag(tag.String("key", required: true)!, tag.String("value") ?? "")).ToList();

    private static int? MaxResults(MlflowRequest request)
    {
        var value = request.Long("max_results");
        return value switch
        {
            null => null,
            > 0 and <= int.MaxValue => (int)value,
            _ => throw KilnException.InvalidParameter(
                $"Invalid value for request parameter max_results. It must be at most {int.MaxValue}, but got value {value}"),
        };
    }
}
