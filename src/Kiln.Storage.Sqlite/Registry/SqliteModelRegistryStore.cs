using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Registry;
using Kiln.Core.Search;
using Kiln.Core.Tracking;
using Kiln.Storage.Sql;
using Kiln.Storage.Sqlite.Tracking;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite.Registry;

/// <summary>Registered models and model versions in SQLite.</summary>
public sealed class SqliteModelRegistryStore(SqliteDatabase db) : IModelRegistryStore
{
    private const string VersionColumns =
        "v.name, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id, v.current_stage, v.source, v.run_id, v.status, v.status_message, v.run_link, v.storage_location";


    public async Task<RegisteredModel> CreateRegisteredModelAsync(string name, IReadOnlyList<Tag> tags, string? description, long now, CancellationToken ct = default)
    {
        await db.WriteAsync(session =>
        {
            if (session.Scalar("SELECT 1 FROM registered_models WHERE name = $name", ("$name", name)) is not null)
            {
                throw KilnException.AlreadyExists($"Registered Model (name={name}) already exists.");
            }

            session.Execute(
                "INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES ($name, $now, $now, $description)",
                ("$name", name), ("$now", now), ("$description", description));
            foreach (var tag in tags)
            {
                UpsertModelTag(session, name, tag);
            }
        }, ct).ConfigureAwait(false);
        return (await FindRegisteredModelAsync(name, ct).ConfigureAwait(false))!;
    }

    public Task<RegisteredModel?> FindRegisteredModelAsync(string name, CancellationToken ct = default) =>
        Task.FromResult(db.Read(session => LoadModels(session, "WHERE m.name = $name", [("$name", name)]).FirstOrDefault()));

    public async Task<RegisteredModel> RenameRegisteredModelAsync(string name, string newName, long now, CancellationToken ct = default)
    {
        await db.WriteAsync(session =>
        {
            if (name != newName && session.Scalar("SELECT 1 FROM registered_models WHERE name = $name", ("$name", newName)) is not null)
            {
                throw KilnException.AlreadyExists($"Registered Model (name={newName}) already exists.");
            }

            // Versions, tags and aliases follow through ON UPDATE CASCADE.
            session.Execute(
                "UPDATE registered_models SET name = $new, last_updated_time = $now WHERE name = $name",
                ("$new", newName), ("$now", now), ("$name", name));
            session.Execute("UPDATE model_versions SET last_updated_time = $now WHERE name = $name", ("$now", now), ("$name", newName));
        }, ct).ConfigureAwait(false);
        return (await FindRegisteredModelAsync(newName, ct).ConfigureAwait(false))!;
    }

    public async Task<RegisteredModel> UpdateRegisteredModelAsync(string name, string? description, long now, CancellationToken ct = default)
    {
        await db.WriteAsync(session => session.Execute(
            "UPDATE registered_models SET description = $description, last_updated_time = $now WHERE name = $name",
            ("$description", description), ("$now", now), ("$name", name)), ct).ConfigureAwait(false);
        return (await FindRegisteredModelAsync(name, ct).ConfigureAwait(false))!;
    }

    public Task DeleteRegisteredModelAsync(string name, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute("DELETE FROM registered_models WHERE name = $name", ("$name", name)), ct);

    public Task<Page<RegisteredModel>> SearchRegisteredModelsAsync(RegistryQuery query, CancellationToken ct = default)
    {
        var sql = new SqlBuilder();
        var search = MlflowSearchSql.RegisteredModels(sql, query);
        var rows = db.Read(session => LoadModels(session, search.Condition, sql.Parameters));
        return Task.FromResult(SqlPaging.Paged(rows, query.MaxResults, search.Offset));
    }

    public Task SetRegisteredModelTagAsync(string name, Tag tag, CancellationToken ct = default) =>
        db.WriteAsync(session => UpsertModelTag(session, name, tag), ct);

    public Task DeleteRegisteredModelTagAsync(string name, string key, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute("DELETE FROM registered_model_tags WHERE name = $name AND key = $key", ("$name", name), ("$key", key)), ct);

    public Task SetAliasAsync(string name, string alias, long version, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            "INSERT INTO registered_model_aliases (name, alias, version) VALUES ($name, $alias, $version) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version",
            ("$name", name), ("$alias", alias), ("$version", version)), ct);

    public Task DeleteAliasAsync(string name, string alias, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute("DELETE FROM registered_model_aliases WHERE name = $name AND alias = $alias", ("$name", name), ("$alias", alias)), ct);

    public Task<long?> FindAliasAsync(string name, string alias, CancellationToken ct = default) =>
        Task.FromResult(db.Read(session =>
        {
            var value = session.Scalar("SELECT version FROM registered_model_aliases WHERE name = $name AND alias = $alias", ("$name", name), ("$alias", alias));
            return value is null ? (long?)null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }));

    public async Task<ModelVersion> CreateModelVersionAsync(NewModelVersion version, CancellationToken ct = default)
    {
        var number = await db.WriteAsync(session =>
        {
            var next = Convert.ToInt64(session.Scalar("SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE name = $name", ("$name", version.Name)), CultureInfo.InvariantCulture);
            session.Execute(
                "INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id, run_link, status, status_message, storage_location) " +
                "VALUES ($name, $version, $now, $now, $description, $user, 'None', $source, $run, $link, 'READY', NULL, $storage)",
                ("$name", version.Name), ("$version", next), ("$now", version.Now), ("$description", version.Description), ("$user", version.UserId),
                ("$source", version.Source), ("$run", version.RunId), ("$link", version.RunLink), ("$storage", version.StorageLocation));
            foreach (var tag in version.Tags)
            {
                UpsertVersionTag(session, version.Name, next, tag);
            }

            session.Execute("UPDATE registered_models SET last_updated_time = $now WHERE name = $name", ("$now", version.Now), ("$name", version.Name));
            return next;
        }, ct).ConfigureAwait(false);
        return (await FindModelVersionAsync(version.Name, number, ct).ConfigureAwait(false))!;
    }

    public Task<ModelVersion?> FindModelVersionAsync(string name, long version, CancellationToken ct = default) =>
        Task.FromResult(db.Read(session => LoadVersions(session, $"WHERE v.name = $name AND v.version = $version AND {MlflowSearchSql.LiveVersion}", [("$name", name), ("$version", version)]).FirstOrDefault()));

    public async Task<ModelVersion> UpdateModelVersionAsync(string name, long version, string? description, long now, CancellationToken ct = default)
    {
        await db.WriteAsync(session => session.Execute(
            "UPDATE model_versions SET description = $description, last_updated_time = $now WHERE name = $name AND version = $version",
            ("$description", description), ("$now", now), ("$name", name), ("$version", version)), ct).ConfigureAwait(false);
        return (await FindModelVersionAsync(name, version, ct).ConfigureAwait(false))!;
    }

    public async Task<ModelVersion> TransitionStageAsync(string name, long version, string stage, bool archiveExistingVersions, long now, CancellationToken ct = default)
    {
        await db.WriteAsync(session =>
        {
            if (archiveExistingVersions)
            {
                session.Execute(
                    "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = $now WHERE name = $name AND version != $version AND current_stage = $stage",
                    ("$now", now), ("$name", name), ("$version", version), ("$stage", stage));
            }

            session.Execute(
                "UPDATE model_versions SET current_stage = $stage, last_updated_time = $now WHERE name = $name AND version = $version",
                ("$stage", stage), ("$now", now), ("$name", name), ("$version", version));
            session.Execute("UPDATE registered_models SET last_updated_time = $now WHERE name = $name", ("$now", now), ("$name", name));
        }, ct).ConfigureAwait(false);
        return (await FindModelVersionAsync(name, version, ct).ConfigureAwait(false))!;
    }

    public Task DeleteModelVersionAsync(string name, long version, long now, CancellationToken ct = default) =>
        db.WriteAsync(session =>
        {
            // The row stays (stage Deleted_Internal, contents cleared) so the number is never handed out again.
            session.Execute(
                "UPDATE model_versions SET current_stage = 'Deleted_Internal', description = NULL, user_id = NULL, source = 'REDACTED-SOURCE-PATH', " +
                "run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK', status_message = NULL, storage_location = NULL, last_updated_time = $now " +
                "WHERE name = $name AND version = $version",
                ("$now", now), ("$name", name), ("$version", version));
            session.Execute("DELETE FROM model_version_tags WHERE name = $name AND version = $version", ("$name", name), ("$version", version));
            session.Execute("DELETE FROM registered_model_aliases WHERE name = $name AND version = $version", ("$name", name), ("$version", version));
            session.Execute("UPDATE registered_models SET last_updated_time = $now WHERE name = $name", ("$now", now), ("$name", name));
        }, ct);

    public Task<Page<ModelVersion>> SearchModelVersionsAsync(RegistryQuery query, CancellationToken ct = default)
    {
        var sql = new SqlBuilder();
        var search = MlflowSearchSql.ModelVersions(sql, query);
        var rows = db.Read(session => LoadVersions(session, search.Condition, sql.Parameters));
        return Task.FromResult(SqlPaging.Paged(rows, query.MaxResults, search.Offset));
    }

    public Task SetModelVersionTagAsync(string name, long version, Tag tag, CancellationToken ct = default) =>
        db.WriteAsync(session => UpsertVersionTag(session, name, version, tag), ct);

    public Task DeleteModelVersionTagAsync(string name, long version, string key, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            "DELETE FROM model_version_tags WHERE name = $name AND version = $version AND key = $key",
            ("$name", name), ("$version", version), ("$key", key)), ct);

    private static void UpsertModelTag(SqliteSession session, string name, Tag tag) =>
        session.Execute(
            "INSERT INTO registered_model_tags (name, key, value) VALUES ($name, $key, $value) ON CONFLICT (name, key) DO UPDATE SET value = excluded.value",
            ("$name", name), ("$key", tag.Key), ("$value", tag.Value));

    private static void UpsertVersionTag(SqliteSession session, string name, long version, Tag tag) =>
        session.Execute(
            "INSERT INTO model_version_tags (name, version, key, value) VALUES ($name, $version, $key, $value) ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value",
            ("$name", name), ("$version", version), ("$key", tag.Key), ("$value", tag.Value));

    private static List<RegisteredModel> LoadModels(SqliteSession session, string condition, IEnumerable<(string, object?)> parameters)
    {
        var rows = session.Query(
            $"SELECT m.name, m.creation_time, m.last_updated_time, m.description FROM registered_models m {condition}",
            reader => (Name: reader.GetString(0), Created: reader.GetInt64(1), Updated: reader.GetInt64(2), Description: SqliteTrackingStore.NullableString(reader, 3)),
            parameters.ToArray());
        if (rows.Count == 0)
        {
            return [];
        }

        var names = ("$names", (object?)System.Text.Json.JsonSerializer.Serialize(rows.Select(row => row.Name)));
        var tags = session.Query(
                "SELECT name, key, value FROM registered_model_tags WHERE name IN (SELECT value FROM json_each($names)) ORDER BY key",
                reader => (Name: reader.GetString(0), Tag: new Tag(reader.GetString(1), reader.GetString(2))), names)
            .ToLookup(row => row.Name, row => row.Tag);
        var aliases = session.Query(
                "SELECT name, alias, version FROM registered_model_aliases WHERE name IN (SELECT value FROM json_each($names)) ORDER BY alias",
                reader => (Name: reader.GetString(0), Alias: new ModelAlias(reader.GetString(1), reader.GetInt64(2).ToString(CultureInfo.InvariantCulture))), names)
            .ToLookup(row => row.Name, row => row.Alias);
        // The latest version in each stage: MLflow's latest_versions.
        var latest = LoadVersions(
                session,
                $"WHERE v.name IN (SELECT value FROM json_each($names)) AND {MlflowSearchSql.LiveVersion} AND v.version = " +
                $"(SELECT max(w.version) FROM model_versions w WHERE w.name = v.name AND w.current_stage = v.current_stage) ORDER BY v.version",
                [names])
            .ToLookup(version => version.Name);
        return rows.Select(row => new RegisteredModel(
                row.Name, row.Created, row.Updated, row.Description, latest[row.Name].ToList(), tags[row.Name].ToList(), aliases[row.Name].ToList()))
            .ToList();
    }

    private static List<ModelVersion> LoadVersions(SqliteSession session, string condition, IEnumerable<(string, object?)> parameters)
    {
        var rows = session.Query($"SELECT {VersionColumns} FROM model_versions v {condition}", ReadVersion, parameters.ToArray());
        if (rows.Count == 0)
        {
            return [];
        }

        var keys = ("$keys", (object?)System.Text.Json.JsonSerializer.Serialize(rows.Select(row => new object[] { row.Name, row.Number })));
        const string InKeys = "(name, version) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each($keys))";
        var tags = session.Query(
                $"SELECT name, version, key, value FROM model_version_tags WHERE {InKeys} ORDER BY key",
                reader => (Key: (reader.GetString(0), reader.GetInt64(1)), Tag: new Tag(reader.GetString(2), reader.GetString(3))), keys)
            .ToLookup(row => row.Key, row => row.Tag);
        var aliases = session.Query(
                $"SELECT name, version, alias FROM registered_model_aliases WHERE {InKeys} ORDER BY alias",
                reader => (Key: (reader.GetString(0), reader.GetInt64(1)), Alias: reader.GetString(2)), keys)
            .ToLookup(row => row.Key, row => row.Alias);
        return rows.Select(row => row.Version with
        {
            Tags = tags[(row.Name, row.Number)].ToList(),
            Aliases = aliases[(row.Name, row.Number)].ToList(),
        })
            .ToList();
    }

    private static (string Name, long Number, ModelVersion Version) ReadVersion(SqliteDataReader reader)
    {
        var name = reader.GetString(0);
        var number = reader.GetInt64(1);
        return (name, number, new ModelVersion(
            name,
            number.ToString(CultureInfo.InvariantCulture),
            reader.GetInt64(2),
            reader.GetInt64(3),
            SqliteTrackingStore.NullableString(reader, 4),
            SqliteTrackingStore.NullableString(reader, 5),
            reader.GetString(6),
            reader.GetString(7),
            SqliteTrackingStore.NullableString(reader, 8),
            reader.GetString(9),
            SqliteTrackingStore.NullableString(reader, 10),
            [],
            SqliteTrackingStore.NullableString(reader, 11),
            [],
            SqliteTrackingStore.NullableString(reader, 12)));
    }
}
