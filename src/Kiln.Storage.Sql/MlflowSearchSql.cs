using Kiln.Core.Common;
using Kiln.Core.Registry;
using Kiln.Core.Search;
using Kiln.Core.Tracking;

namespace Kiln.Storage.Sql;

/// <summary>A search's <c>WHERE … ORDER BY … LIMIT … OFFSET …</c> tail (its parameters are in the builder) and the page's offset.</summary>
public sealed record SqlSearch(string Condition, long Offset);

/// <summary>
/// MLflow's experiments/search, registered-models/search and model-versions/search in SQL over the tracking and
/// registry schemas (<c>experiments e</c>, <c>registered_models m</c>, <c>model_versions v</c>), the same in every dialect.
/// Each store loads rows with the condition and pages them with <see cref="SqlPaging.Paged"/>.
/// </summary>
public static class MlflowSearchSql
{
    /// <summary>Model versions soft-deleted by the registry (MLflow keeps their numbers taken) are never found.</summary>
    public const string LiveVersion = "v.current_stage <> 'Deleted_Internal'";

    public static SqlSearch Experiments(SqlBuilder sql, ExperimentQuery query)
    {
        var where = new List<string> { MlflowRunSql.LifecycleCondition("e.lifecycle_stage", query.ViewType) };
        foreach (var clause in query.Filter)
        {
            where.Add(clause.Entity switch
            {
                SearchEntity.Tag => sql.KeyValueCondition("experiment_tags", "experiment_id", "e.experiment_id", "key", clause),
                _ => sql.Compare(MlflowRunSql.FilterColumn(sql.Dialect, ExperimentColumn(clause.Key), clause), clause),
            });
        }

        var order = new List<string>();
        foreach (var clause in query.OrderBy)
        {
            if (clause.Entity != SearchEntity.Attribute)
            {
                throw KilnException.InvalidParameter($"Invalid order_by entity: {clause.Entity.ToString().ToLowerInvariant()}");
            }

            order.Add($"{ExperimentColumn(clause.Key)} {(clause.Ascending ? "ASC" : "DESC")}");
        }

        if (query.OrderBy.Count == 0)
        {
            order.Add("e.creation_time DESC");
        }

        if (query.OrderBy.All(clause => clause.Key != "experiment_id"))
        {
            order.Add("e.experiment_id ASC");
        }

        return Page(sql, where, order, query.PageToken, query.MaxResults);
    }

    public static SqlSearch RegisteredModels(SqlBuilder sql, RegistryQuery query)
    {
        var where = new List<string> { "1 = 1" };
        foreach (var clause in query.Filter)
        {
            where.Add(clause.Entity == SearchEntity.Tag
                ? sql.KeyValueCondition("registered_model_tags", "name", "m.name", "key", clause)
                : sql.Compare("m.name", clause));
        }

        var order = query.OrderBy.Select(clause => $"{ModelColumn(clause.Key)} {(clause.Ascending ? "ASC" : "DESC")}").ToList();
        if (query.OrderBy.All(clause => clause.Key != "name"))
        {
            order.Add("m.name ASC");
        }

        return Page(sql, where, order, query.PageToken, query.MaxResults);
    }

    public static SqlSearch ModelVersions(SqlBuilder sql, RegistryQuery query)
    {
        var where = new List<string> { LiveVersion };
        foreach (var clause in query.Filter)
        {
            where.Add(clause.Entity switch
            {
                SearchEntity.Tag => $"EXISTS (SELECT 1 FROM model_version_tags kv WHERE kv.name = v.name AND kv.version = v.version AND kv.key = {sql.Add(clause.Key)} AND {sql.Compare("kv.value", clause)})",
                _ => sql.Compare(VersionFilterColumn(sql.Dialect, VersionColumn(clause.Key), clause), clause),
            });
        }

        var order = query.OrderBy.Select(clause => $"{VersionColumn(clause.Key)} {(clause.Ascending ? "ASC" : "DESC")}").ToList();
        if (query.OrderBy.Count == 0)
        {
            order.Add("v.name ASC");
            order.Add("v.version DESC");
        }

        return Page(sql, where, order, query.PageToken, query.MaxResults);
    }

    private static SqlSearch Page(SqlBuilder sql, List<string> where, List<string> order, string? pageToken, int maxResults)
    {
        var offset = sql.AddPage(pageToken, maxResults);
        return new SqlSearch($"WHERE {string.Join(" AND ", where)} ORDER BY {string.Join(", ", order)} {sql.LimitOffset}", offset);
    }

    private static string ExperimentColumn(string key) => key switch
    {
        "name" => "e.name",
        "experiment_id" => "e.experiment_id",
        "creation_time" => "e.creation_time",
        "last_update_time" => "e.last_update_time",
        _ => throw KilnException.InvalidParameter($"Invalid attribute key '{key}' specified."),
    };

    /// <summary>A number column compared with a string (<c>version_number = '3'</c>) compares as text.</summary>
    private static string VersionFilterColumn(ISqlDialect dialect, string column, FilterClause clause) =>
        clause.Value is not FilterValue.Number && column is "v.version" or "v.creation_time" or "v.last_updated_time"
            ? dialect.NumberAsText(column)
            : column;

    private static string ModelColumn(string key) => key switch
    {
        "name" => "m.name",
        "creation_timestamp" => "m.creation_time",
        "last_updated_timestamp" => "m.last_updated_time",
        _ => throw KilnException.InvalidParameter($"Invalid order by key '{key}' specified."),
    };

    private static string VersionColumn(string key) => key switch
    {
        "name" => "v.name",
        "version_number" => "v.version",
        "run_id" => "v.run_id",
        "source_path" => "v.source",
        "creation_timestamp" => "v.creation_time",
        "last_updated_timestamp" => "v.last_updated_time",
        _ => throw KilnException.InvalidParameter($"Invalid order by key '{key}' specified."),
    };
}
