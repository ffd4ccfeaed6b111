using Kiln.Storage.Sql;

namespace Kiln.Storage.Postgres;

/// <summary>The shared <see cref="SqlBuilder"/> in PostgreSQL's dialect (<c>@p0</c> parameters, arrays for lists).</summary>
internal sealed class PostgresSqlBuilder() : SqlBuilder(PostgresDialect.Instance);
