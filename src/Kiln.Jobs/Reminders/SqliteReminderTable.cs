using System.Globalization;
using Kiln.Storage.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Kiln.Jobs.Reminders;

/// <summary>
/// Orleans' reminder table in Kiln's SQLite database. Reminders survive a restart of the embedded
/// server, and silos that share the database file (several processes on one host, or the failover
/// tests) share the reminders, which is what lets a surviving silo resume a lost silo's jobs.
/// </summary>
internal sealed class SqliteReminderTable(SqliteDatabase db, IOptions<ClusterOptions> cluster) : IReminderTable
{
    private const string Columns = "grain_id, reminder_name, start_time, period_ms, etag";
    private readonly string _serviceId = cluster.Value.ServiceId;

    public Task<ReminderTableData> ReadRows(GrainId grainId) =>
        Task.FromResult(new ReminderTableData(db.Read(session => session.Query(
            $"SELECT {Columns} FROM orleans_reminders WHERE service_id = $service AND grain_id = $grain",
            Read,
            ("$service", _serviceId), ("$grain", grainId.ToString())))));

    /// <summary>Rows whose grain hash is in (begin, end], wrapping around when begin ≥ end, as Orleans' ring ranges do.</summary>
    public Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        var condition = begin < end ? "grain_hash > $begin AND grain_hash <= $end" : "(grain_hash > $begin OR grain_hash <= $end)";
        return Task.FromResult(new ReminderTableData(db.Read(session => session.Query(
            $"SELECT {Columns} FROM orleans_reminders WHERE service_id = $service AND {condition}",
            Read,
            ("$service", _serviceId), ("$begin", (long)begin), ("$end", (long)end)))));
    }

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) =>
        Task.FromResult<ReminderEntry?>(db.Read(session => session.QuerySingle(
            $"SELECT {Columns} FROM orleans_reminders WHERE service_id = $service AND grain_id = $grain AND reminder_name = $name",
            Read,
            ("$service", _serviceId), ("$grain", grainId.ToString()), ("$name", reminderName))));

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        var etag = Guid.NewGuid().ToString("N");
        await db.WriteAsync(session => session.Execute(
            "INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, start_time, period_ms, grain_hash, etag) " +
            "VALUES ($service, $grain, $name, $start, $period, $hash, $etag) " +
            "ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE SET start_time = excluded.start_time, period_ms = excluded.period_ms, etag = excluded.etag",
            ("$service", _serviceId),
            ("$grain", entry.GrainId.ToString()),
            ("$name", entry.ReminderName),
            ("$start", entry.StartAt.ToUniversalTime().Ticks),
            ("$period", (long)entry.Period.TotalMilliseconds),
            ("$hash", (long)entry.GrainId.GetUniformHashCode()),
            ("$etag", etag)));
        return etag;
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) =>
        db.WriteAsync(session => session.Execute(
            "DELETE FROM orleans_reminders WHERE service_id = $service AND grain_id = $grain AND reminder_name = $name AND etag = $etag",
            ("$service", _serviceId), ("$grain", grainId.ToString()), ("$name", reminderName), ("$etag", eTag)) > 0);

    public Task TestOnlyClearTable() =>
        db.WriteAsync(session => session.Execute("DELETE FROM orleans_reminders WHERE service_id = $service", ("$service", _serviceId)));

    private static ReminderEntry Read(Microsoft.Data.Sqlite.SqliteDataReader reader) => new()
    {
        GrainId = GrainId.Parse(reader.GetString(0), CultureInfo.InvariantCulture),
        ReminderName = reader.GetString(1),
        StartAt = new DateTime(reader.GetInt64(2), DateTimeKind.Utc),
        Period = TimeSpan.FromMilliseconds(reader.GetInt64(3)),
        ETag = reader.GetString(4),
    };
}
