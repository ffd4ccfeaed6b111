using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Search;
using Kiln.Core.Tracking;
using Kiln.Storage.Sql;

namespace Kiln.Storage.Postgres.Tracking;

public sealed partial class PostgresTrackingStore
{
    public async Task<Page<Run>> SearchRunsAsync(RunQuery query, CancellationToken ct = default)
    {
        var offset = PageToken.Decode(query.PageToken);
        var sql = new PostgresSqlBuilder();
        if (MlflowRunSql.RunWhere(sql, query) is not { } where || query.MaxResults == 0)
        {
            return new Page<Run>([], null);
        }

        var (orderJoins, orderBy) = MlflowRunSql.RunOrder(sql, query.OrderBy);
        sql.Add("limit", (long)query.MaxResults + 1);
        sql.Add("offset", offset);
        var condition = $"{orderJoins} WHERE {where} ORDER BY {orderBy} LIMIT @limit OFFSET @offset";
        var runs = await _db.ReadAsync(session => LoadRuns(session, condition, sql.Parameters), ct).ConfigureAwait(false);
        return PostgresListing.Paged(runs, query.MaxResults, offset);
    }

    public async Task<long> CountRunsAsync(RunQuery query, CancellationToken ct = default)
    {
        var sql = new PostgresSqlBuilder();
        if (MlflowRunSql.RunWhere(sql, query) is not { } where)
        {
            return 0;
        }

        return Convert.ToInt64(await _db.ReadAsync(session => session.ScalarAsync($"SELECT COUNT(*) FROM runs r WHERE {where}", sql.Parameters), ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    public async Task<RunKeys> ListRunKeysAsync(IReadOnlyList<string> experimentIds, ViewType viewType, CancellationToken ct = default)
    {
        var sql = new PostgresSqlBuilder();
        if (MlflowRunSql.RunWhere(sql, new RunQuery(experimentIds, [], viewType, [], 0, null)) is not { } where)
        {
            return new RunKeys([], []);
        }

        Task<List<string>> Keys(PostgresSession session, string table) => session.QueryAsync(
            $"SELECT DISTINCT k.key FROM {table} k JOIN runs r ON r.run_uuid = k.run_uuid WHERE {where} ORDER BY k.key",
            row => row.GetString(0),
            sql.Parameters);
        return await _db.ReadAsync(async session => new RunKeys(await Keys(session, "params").ConfigureAwait(false), await Keys(session, "latest_metrics").ConfigureAwait(false)), ct).ConfigureAwait(false);
    }
}
