using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Tracking;

namespace Kiln.Storage.Postgres.Tracking;

public sealed partial class PostgresTrackingStore
{
    public async Task<Page<Run>> SearchRunsAsync(RunQuery query, CancellationToken ct = default)
    {
        var offset = PageToken.Decode(query.PageToken);
        var sql = new PostgresSqlBuilder();
        if (RunWhere(sql, query) is not { } where || query.MaxResults == 0)
        {
            return new Page<Run>([], null);
        }

        var (orderJoins, orderBy) = RunOrder(sql, query.OrderBy);
        sql.Add("limit", (long)query.MaxResults + 1);
        sql.Add("offset", offset);
        var condition = $"{orderJoins} WHERE {where} ORDER BY {orderBy} LIMIT @limit OFFSET @offset";
        var runs = await _db.ReadAsync(session => LoadRuns(session, condition, sql.Parameters), ct).ConfigureAwait(false);
        return PostgresListing.Paged(runs, query.MaxResults, offset);
    }

    public async Task<long> CountRunsAsync(RunQuery query, CancellationToken ct = default)
    {
        var sql = new PostgresSqlBuilder();
        if (RunWhere(sql, query) is not { } where)
        {
            return 0;
        }

        return Convert.ToInt64(await _db.ReadAsync(session => session.ScalarAsync($"SELECT COUNT(*) FROM runs r WHERE {where}", sql.Parameters), ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    public async Task<RunKeys> ListRunKeysAsync(IReadOnlyList<string> experimentIds, ViewType viewType, CancellationToken ct = default)
    {
        var sql = new PostgresSqlBuilder();
        if (RunWhere(sql, new RunQuery(experimentIds, [], viewType, [], 0, null)) is not { } where)
        {
            return new RunKeys([], []);
        }

        Task<List<string>> Keys(PostgresSession session, string table) => session.QueryAsync(
            $"SELECT DISTINCT k.key FROM {table} k JOIN runs r ON r.run_uuid = k.run_uuid WHERE {where} ORDER BY k.key",
            row => row.GetString(0),
            sql.Parameters);
        return await _db.ReadAsync(async session => new RunKeys(await Keys(session, "params").ConfigureAwait(false), await Keys(session, "latest_metrics").ConfigureAwait(false)), ct).ConfigureAwait(false);
    }

    /// <summary>The WHERE of a run query over <c>runs r</c>, or null when it names no experiment (so matches nothing).</summary>
    private static string? RunWhere(PostgresSqlBuilder sql, RunQuery query)
    {
        var experimentIds = query.ExperimentIds
            .Select(id => long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : -1)
            .Where(id => id >= 0)
            .ToArray();
        if (experimentIds.Length == 0)
        {
            return null;
        }

        sql.Add("experiments", experimentIds);
        var where = new List<string>
        {
            "r.experiment_id = ANY(@experiments)",
            LifecycleCondition("r.lifecycle_stage", query.ViewType),
        };
        where.AddRange(query.Filter.Select(clause => RunCondition(sql, clause)));
        return string.Join(" AND ", where);
    }

    private static string RunCondition(PostgresSqlBuilder sql, FilterClause clause) => clause.Entity switch
    {
        SearchEntity.Metric => MetricCondition(sql, clause),
        SearchEntity.Param => sql.KeyValueCondition("params", "run_uuid", "r.run_uuid", "key", clause),
        SearchEntity.Tag => sql.KeyValueCondition("tags", "run_uuid", "r.run_uuid", "key", clause),
        SearchEntity.Dataset => DatasetCondition(sql, clause),
        _ => sql.Compare(FilterColumn(RunColumn(clause.Key), clause), clause),
    };

    private static string MetricCondition(PostgresSqlBuilder sql, FilterClause clause)
    {
        var key = sql.Add(clause.Key);
        return $"EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = {key} AND NOT m.is_nan AND {sql.Compare("m.value", clause)})";
    }

    private static string DatasetCondition(PostgresSqlBuilder sql, FilterClause clause)
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

    /// <summary>
    /// MLflow's ordering: each order_by key in turn with missing values (and NaN metrics) last whatever the
    /// direction, then start_time DESC unless already ordered by it, then run id as the tie-breaker.
    /// </summary>
    private static (string Joins, string OrderBy) RunOrder(PostgresSqlBuilder sql, IReadOnlyList<OrderByClause> clauses)
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
                    order.Add($"CASE WHEN o{i}.is_nan THEN 1 WHEN o{i}.value IS NULL THEN 2 ELSE 0 END");
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
