using Kiln.Core.Security;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite.Security;

public sealed class SqliteUserStore(SqliteDatabase db) : IUserStore
{
    private const string Columns = "name, is_admin, can_run_code, access_key_id, creation_time, encrypted_secret, secret_digest";

    public Task<bool> CreateAsync(StoredUser user, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            $"INSERT INTO users ({Columns}) VALUES ($name, $admin, $code, $key, $created, $secret, $digest) ON CONFLICT (name) DO NOTHING",
            ("$name", user.User.Name), ("$admin", user.User.IsAdmin), ("$code", user.User.CanRunCode), ("$key", user.User.AccessKeyId),
            ("$created", user.User.Created.ToUnixTimeMilliseconds()), ("$secret", user.EncryptedSecret), ("$digest", user.SecretDigest)) == 1, ct);

    public Task<StoredUser?> FindByNameAsync(string name, CancellationToken ct = default) => FindAsync("name", name);

    public Task<StoredUser?> FindByAccessKeyAsync(string accessKeyId, CancellationToken ct = default) => FindAsync("access_key_id", accessKeyId);

    public Task<StoredUser?> FindBySecretDigestAsync(string secretDigest, CancellationToken ct = default) => FindAsync("secret_digest", secretDigest);

    public Task<IReadOnlyList<KilnUser>> ListAsync(CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<KilnUser>>(db.Read(session => session.Query($"SELECT {Columns} FROM users ORDER BY name", ReadUser)));

    public Task<bool> ReplaceKeyAsync(string name, string accessKeyId, byte[] encryptedSecret, string secretDigest, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            "UPDATE users SET access_key_id = $key, encrypted_secret = $secret, secret_digest = $digest WHERE name = $name",
            ("$name", name), ("$key", accessKeyId), ("$secret", encryptedSecret), ("$digest", secretDigest)) == 1, ct);

    public Task<bool> SetAdminAsync(string name, bool isAdmin, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute("UPDATE users SET is_admin = $admin WHERE name = $name", ("$name", name), ("$admin", isAdmin)) == 1, ct);

    public Task<bool> DeleteAsync(string name, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute("DELETE FROM users WHERE name = $name", ("$name", name)) == 1, ct);

    private Task<StoredUser?> FindAsync(string column, string value) =>
        Task.FromResult(db.Read(session => session.QuerySingle(
            $"SELECT {Columns} FROM users WHERE {column} = $value",
            reader => new StoredUser(ReadUser(reader), (byte[])reader.GetValue(5), reader.GetString(6)),
            ("$value", value))));

    private static KilnUser ReadUser(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetString(3), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)));
}
