using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Tracking;

namespace Kiln.Storage.Sql;

/// <summary>
/// MLflow's runs/search in SQL over the tracking schema (<c>runs r</c>, <c>params</c>, <c>tags</c>,
/// <c>latest_metrics</c>, <c>run_inputs</c>, <c>datasets</c>), the same in every dialect.
/// </summary>
public static class MlflowRunSql
{
    /// <summary>The WHERE of a run query over <c>runs r</c>, or null when it names no experiment (so matches nothing).</summary>
    public static string? RunWhere(SqlBuilder sql, RunQuery query)
    {
        var experimentIds = query.ExperimentIds
            .Select(id => long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : -1)
            .Where(id => id >= 0)
            .ToList();
        if (experimentIds.Count == 0)
        {
            return null;
        }

        var where = new List<string>
        {
            sql.InList("r.experiment_id", experimentIds),
            LifecycleCondition("r.lifecycle_stage", query.ViewType),
        };
        where.AddRange(query.Filter.Select(clause => RunCondition(sql, clause)));
        return string.Join(" AND ", where);
    }

    public static string LifecycleCondition(string column, ViewType viewType) => viewType switch
    {
        ViewType.ActiveOnly => $"{column} = 'active'",
        ViewType.DeletedOnly => $"{column} = 'deleted'",
        _ => $"{column} IN ('active', 'deleted')",
    };

    /// <summary>
    /// MLflow's ordering: each order_by key in turn with missing values (and NaN metrics) last whatever the
    /// direction, then start_time DESC unless already ordered by it, then run id as the tie-breaker.
    /// </summary>
    public static (string Joins, string OrderBy) RunOrder(SqlBuilder sql, IReadOnlyList<OrderByClause> clauses)
    {
        var joins = new List<string>();
        var order = new List<string>();
        var seen = new HashSet<(SearchEntity, string)>();
        for (var i = 0; i < clauses.Count; i++)
        {
            var clause = clauses[i];
            if (!seen.Add((clause.Entity, clause.Key)))
            {
                throw KilnException.InvalidParameter(
                    $"`order_by` contains duplicate fields: [{string.Join(", ", clauses.Select(c => $"'{c.Key}'"))}]");
            }

            var direction = clause.Ascending ? "ASC" : "DESC";
            switch (clause.Entity)
            {
                case SearchEntity.Metric:
                    joins.Add($"LEFT JOIN latest_metrics o{i} ON o{i}.run_uuid = r.run_uuid AND o{i}.key = {sql.Add(clause.Key)}");
                    order.Add($"CASE WHEN {sql.Dialect.IsTrue($"o{i}.is_nan")} THEN 1 WHEN o{i}.value IS NULL THEN 2 ELSE 0 END");
                    order.Add($"o{i}.value {direction}");
                    break;
                case SearchEntity.Param:
                case SearchEntity.Tag:
                    var table = clause.Entity == SearchEntity.Param ? "params" : "tags";
                    joins.Add($"LEFT JOIN {table} o{i} ON o{i}.run_uuid = r.run_uuid AND o{i}.key = {sql.Add(clause.Key)}");
                    order.Add($"o{i}.value IS NULL");
                    order.Add($"o{i}.value {direction}");
                    break;
                default:
                    var column = RunColumn(clause.Key);
                    order.Add($"{column} IS NULL");
                    order.Add($"{column} {direction}");
                    break;
            }
        }

        if (!seen.Contains((SearchEntity.Attribute, "start_time")))
        {
            order.Add("r.start_time DESC");
        }

        order.Add("r.run_uuid");
        return (string.Join(" ", joins), string.Join(", ", order));
    }

    private static string RunCondition(SqlBuilder sql, FilterClause clause) => clause.Entity switch
    {
        SearchEntity.Metric => MetricCondition(sql, clause),
        SearchEntity.Param => sql.KeyValueCondition("params", "run_uuid", "r.run_uuid", "key", clause),
        SearchEntity.Tag => sql.KeyValueCondition("tags", "run_uuid", "r.run_uuid", "key", clause),
        SearchEntity.Dataset => DatasetCondition(sql, clause),
        _ => sql.Compare(FilterColumn(sql.Dialect, RunColumn(clause.Key), clause), clause),
    };

    private static string MetricCondition(SqlBuilder sql, FilterClause clause)
    {
        var key = sql.Add(clause.Key);
        return $"EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = {key} AND {sql.Dialect.IsFalse("m.is_nan")} AND {sql.Compare("m.value", clause)})";
    }

    private static string DatasetCondition(SqlBuilder sql, FilterClause clause)
    {
        // The dataset's context (training, eval, …) is the input tag mlflow.data.context.
        var column = clause.Key switch
        {
            "name" => "d.name",
            "digest" => "d.digest",
            _ => "(SELECT t.value FROM run_input_tags t WHERE t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context')",
        };
        return $"EXISTS (SELECT 1 FROM run_inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid WHERE i.run_uuid = r.run_uuid AND {sql.Compare(column, clause)})";
    }

    /// <summary>A number column compared with a string (<c>experiment_id = '1'</c>) compares as text.</summary>
    public static string FilterColumn(ISqlDialect dialect, string column, FilterClause clause) =>
        clause.Value is not FilterValue.Number && column is "e.experiment_id" or "e.creation_time" or "e.last_update_time" or "r.experiment_id" or "r.start_time" or "r.end_time"
            ? dialect.NumberAsText(column)
            : column;

    private static string RunColumn(string key) => key switch
    {
        "run_id" => "r.run_uuid",
        "run_name" => "r.name",
        "experiment_id" => "r.experiment_id",
        "user_id" => "r.user_id",
        "status" => "r.status",
        "start_time" => "r.start_time",
        "end_time" => "r.end_time",
        "artifact_uri" => "r.artifact_uri",
        "lifecycle_stage" => "r.lifecycle_stage",
        _ => throw KilnException.InvalidParameter($"Invalid attribute key '{key}' specified."),
    };
}
