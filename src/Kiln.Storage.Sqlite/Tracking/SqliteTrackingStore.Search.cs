using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Tracking;
using Kiln.Storage.Sql;

namespace Kiln.Storage.Sqlite.Tracking;

public sealed partial class SqliteTrackingStore
{
    public Task<Page<Run>> SearchRunsAsync(RunQuery query, CancellationToken ct = default)
    {
        var offset = PageToken.Decode(query.PageToken);
        var sql = new SqlBuilder();
        if (MlflowRunSql.RunWhere(sql, query) is not { } where || query.MaxResults == 0)
        {
            return Task.FromResult(new Page<Run>([], null));
        }

        var (orderColumns, orderBy) = MlflowRunSql.RunOrder(sql, query.OrderBy);
        sql.Add("$limit", (long)query.MaxResults + 1);
        sql.Add("$offset", offset);
        var condition = $"{orderColumns} WHERE {where} ORDER BY {orderBy} LIMIT $limit OFFSET $offset";
        var runs = _db.Read(session => LoadRuns(session, condition, sql.Parameters));
        return Task.FromResult(Paged(runs, query.MaxResults, offset));
    }

    public Task<long> CountRunsAsync(RunQuery query, CancellationToken ct = default)
    {
        var sql = new SqlBuilder();
        if (MlflowRunSql.RunWhere(sql, query) is not { } where)
        {
            return Task.FromResult(0L);
        }

        return Task.FromResult(_db.Read(session => Convert.ToInt64(session.Scalar($"SELECT COUNT(*) FROM runs r WHERE {where}", sql.Parameters.ToArray()), CultureInfo.InvariantCulture)));
    }

    public Task<RunKeys> ListRunKeysAsync(IReadOnlyList<string> experimentIds, ViewType viewType, CancellationToken ct = default)
    {
        var sql = new SqlBuilder();
        if (MlflowRunSql.RunWhere(sql, new RunQuery(experimentIds, [], viewType, [], 0, null)) is not { } where)
        {
            return Task.FromResult(new RunKeys([], []));
        }

        var parameters = sql.Parameters.ToArray();
        List<string> Keys(SqliteSession session, string table) => session.Query(
            $"SELECT DISTINCT k.key FROM {table} k JOIN runs r ON r.run_uuid = k.run_uuid WHERE {where} ORDER BY k.key",
            row => row.GetString(0),
            parameters);
        return Task.FromResult(_db.Read(session => new RunKeys(Keys(session, "params"), Keys(session, "latest_metrics"))));
    }
}
