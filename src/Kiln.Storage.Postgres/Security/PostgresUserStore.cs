using Kiln.Core.Security;
using Npgsql;

namespace Kiln.Storage.Postgres.Security;

/// <summary>Users and their access keys in PostgreSQL, shared by every node of a cluster.</summary>
public sealed class PostgresUserStore(PostgresDatabase db) : IUserStore
{
    private const string Columns = "name, is_admin, can_run_code, access_key_id, creation_time, encrypted_secret, secret_digest";

    public Task<bool> CreateAsync(StoredUser user, CancellationToken ct = default) =>
        db.WriteAsync(async session => await session.ExecuteAsync(
            $"INSERT INTO users ({Columns}) VALUES (@name, @admin, @code, @key, @created, @secret, @digest) ON CONFLICT (name) DO NOTHING",
            ("name", user.User.Name), ("admin", user.User.IsAdmin), ("code", user.User.CanRunCode), ("key", user.User.AccessKeyId),
            ("created", user.User.Created.ToUnixTimeMilliseconds()), ("secret", user.EncryptedSecret), ("digest", user.SecretDigest)).ConfigureAwait(false) == 1, ct);

    public Task<StoredUser?> FindByNameAsync(string name, CancellationToken ct = default) => FindAsync("name", name, ct);

    public Task<StoredUser?> FindByAccessKeyAsync(string accessKeyId, CancellationToken ct = default) => FindAsync("access_key_id", accessKeyId, ct);

    public Task<StoredUser?> FindBySecretDigestAsync(string secretDigest, CancellationToken ct = default) => FindAsync("secret_digest", secretDigest, ct);

    public async Task<IReadOnlyList<KilnUser>> ListAsync(CancellationToken ct = default) =>
        await db.ReadAsync(session => session.QueryAsync($"SELECT {Columns} FROM users ORDER BY name", ReadUser), ct).ConfigureAwait(false);

    public Task<bool> ReplaceKeyAsync(string name, string accessKeyId, byte[] encryptedSecret, string secretDigest, CancellationToken ct = default) =>
        db.WriteAsync(async session => await session.ExecuteAsync(
            "UPDATE users SET access_key_id = @key, encrypted_secret = @secret, secret_digest = @digest WHERE name = @name",
            ("name", name), ("key", accessKeyId), ("secret", encryptedSecret), ("digest", secretDigest)).ConfigureAwait(false) == 1, ct);

    public Task<bool> DeleteAsync(string name, CancellationToken ct = default) =>
        db.WriteAsync(async session => await session.ExecuteAsync("DELETE FROM users WHERE name = @name", ("name", name)).ConfigureAwait(false) == 1, ct);

    private Task<StoredUser?> FindAsync(string column, string value, CancellationToken ct) =>
        db.ReadAsync(session => session.QuerySingleAsync(
            $"SELECT {Columns} FROM users WHERE {column} = @value",
            reader => new StoredUser(ReadUser(reader), (byte[])reader.GetValue(5), reader.GetString(6)),
            ("value", value)), ct);

    private static KilnUser ReadUser(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetString(3), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)));
}
