using System.Data.Common;
using Kiln.Core.Security.Audit;

namespace Kiln.Storage.Sql;

/// <summary>Reads an audit log row, selected in the column order both stores use, into an <see cref="AuditEntry"/>.</summary>
public static class AuditRows
{
    public const string Columns = "sequence, time, user_name, access_key_id, action, resource, remote_ip, status, error_code, previous_hash, hash";

    public static AuditEntry Read(DbDataReader reader) => new(
        reader.GetInt64(0),
        new AuditRecord(
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
            reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.GetInt32(7),
            reader.IsDBNull(8) ? null : reader.GetString(8)),
        reader.GetString(9),
        reader.GetString(10));
}
