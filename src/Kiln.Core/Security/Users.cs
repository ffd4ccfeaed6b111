using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Kiln.Core.Common;

namespace Kiln.Core.Security;

/// <summary>
/// Users and their access keys: created and rotated with a fresh random secret (returned once), and looked up for
/// authentication by access key id, name or secret. Lookups are cached briefly (<see cref="CacheFor"/>) so verifying
/// a request costs no database read or decryption on the hot path; a key deleted or rotated by another process (the
/// CLI on the data folder) stops working within that time, at once in this process.
/// </summary>
public sealed partial class Users(IUserStore store, SecretBox box, TimeProvider time)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);
    private const string KeyIdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private readonly ConcurrentDictionary<string, Cached> _cache = new(StringComparer.Ordinal);

    /// <summary>1–64 letters, digits and <c>. _ @ -</c>, starting with a letter or digit (no <c>:</c>, which basic auth uses as separator).</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
    private static partial Regex NamePattern();

    public async Task<UserCredentials> CreateAsync(string name, bool isAdmin, bool canRunCode, CancellationToken ct = default)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw KilnException.InvalidParameter($"Invalid user name '{name}': use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit.");
        }

        var secret = NewSecret();
        var user = new KilnUser(name, isAdmin, canRunCode, NewAccessKeyId(), time.GetUtcNow());
        if (!await store.CreateAsync(new StoredUser(user, box.Encrypt(secret), box.Digest(secret)), ct).ConfigureAwait(false))
        {
            throw KilnException.AlreadyExists($"User '{name}' already exists.");
        }

        return new UserCredentials(user, secret);
    }

    /// <summary>
    /// Creates a user whose secret is <paramref name="secret"/> (MLflow's users/create takes a password; in Kiln the
    /// password is the secret of the user's access key, so basic auth and SigV4 both work with it).
    /// </summary>
    public async Task<UserCredentials> CreateWithSecretAsync(string name, string secret, bool isAdmin, bool canRunCode, CancellationToken ct = default)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw KilnException.InvalidParameter($"Invalid user name '{name}': use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit.");
        }

        await CheckChosenSecretAsync(name, secret, ct).ConfigureAwait(false);
        var user = new KilnUser(name, isAdmin, canRunCode, NewAccessKeyId(), time.GetUtcNow());
        if (!await store.CreateAsync(new StoredUser(user, box.Encrypt(secret), box.Digest(secret)), ct).ConfigureAwait(false))
        {
            throw KilnException.AlreadyExists($"User '{name}' already exists.");
        }

        return new UserCredentials(user, secret);
    }

    /// <summary>Sets a user's secret (MLflow's update-password); the access key id stays, the old secret stops working.</summary>
    public async Task SetSecretAsync(string name, string secret, CancellationToken ct = default)
    {
        var current = await store.FindByNameAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"User with username={name} not found");
        await CheckChosenSecretAsync(name, secret, ct).ConfigureAwait(false);
        if (!await store.ReplaceKeyAsync(name, current.User.AccessKeyId, box.Encrypt(secret), box.Digest(secret), ct).ConfigureAwait(false))
        {
            throw KilnException.NotFound($"User with username={name} not found");
        }

        _cache.Clear();
    }

    public async Task SetAdminAsync(string name, bool isAdmin, CancellationToken ct = default)
    {
        if (!await store.SetAdminAsync(name, isAdmin, ct).ConfigureAwait(false))
        {
            throw KilnException.NotFound($"User with username={name} not found");
        }

        _cache.Clear();
    }

    public async Task<KilnUser?> FindByNameAsync(string name, CancellationToken ct = default) =>
        (await store.FindByNameAsync(name, ct).ConfigureAwait(false))?.User;

    /// <summary>
    /// A chosen secret is a bearer token too, so it must be long enough not to be guessed and belong to one user only
    /// (a bearer token names its user by its secret).
    /// </summary>
    private async Task CheckChosenSecretAsync(string name, string secret, CancellationToken ct)
    {
        if (secret.Length is < MinChosenSecretLength or > 128 || secret.Any(char.IsControl))
        {
            throw KilnException.InvalidParameter($"Invalid password: use {MinChosenSecretLength} to 128 characters without control characters.");
        }

        var holder = await store.FindBySecretDigestAsync(box.Digest(secret), ct).ConfigureAwait(false);
        if (holder is not null && holder.User.Name != name)
        {
            throw KilnException.InvalidParameter("Invalid password: choose another one.");
        }
    }

    /// <summary>The shortest password a user may choose through the MLflow API.</summary>
    public const int MinChosenSecretLength = 12;

    public Task<IReadOnlyList<KilnUser>> ListAsync(CancellationToken ct = default) => store.ListAsync(ct);

    public async Task DeleteAsync(string name, CancellationToken ct = default)
    {
        if (!await store.DeleteAsync(name, ct).ConfigureAwait(false))
        {
            throw KilnException.NotFound($"User '{name}' does not exist.");
        }

        _cache.Clear();
    }

    /// <summary>Gives a user a new access key; the old one stops working.</summary>
    public async Task<UserCredentials> RotateKeyAsync(string name, CancellationToken ct = default)
    {
        var current = await store.FindByNameAsync(name, ct).ConfigureAwait(false) ?? throw KilnException.NotFound($"User '{name}' does not exist.");
        var secret = NewSecret();
        var keyId = NewAccessKeyId();
        if (!await store.ReplaceKeyAsync(name, keyId, box.Encrypt(secret), box.Digest(secret), ct).ConfigureAwait(false))
        {
            throw KilnException.NotFound($"User '{name}' does not exist.");
        }

        _cache.Clear();
        return new UserCredentials(current.User with { AccessKeyId = keyId }, secret);
    }

    /// <summary>The user holding an access key and the key's secret (SigV4 recomputes signatures with it), or null.</summary>
    public ValueTask<UserCredentials?> FindByAccessKeyAsync(string accessKeyId, CancellationToken ct = default) =>
        TryCached("k:", accessKeyId, out var cached)
            ? ValueTask.FromResult(cached)
            : CachedAsync("k:" + accessKeyId, () => store.FindByAccessKeyAsync(accessKeyId, ct));

    /// <summary>The user if <paramref name="secret"/> is their secret (HTTP basic auth), else null.</summary>
    public ValueTask<KilnUser?> FindByNameAndSecretAsync(string name, string secret, CancellationToken ct = default) =>
        TryCached("n:", name, out var cached) && cached is not null && SecretsEqual(cached.SecretAccessKey, secret)
            ? ValueTask.FromResult<KilnUser?>(cached.User)
            : ReadByNameAndSecretAsync(name, secret, ct);

    private async ValueTask<KilnUser?> ReadByNameAndSecretAsync(string name, string secret, CancellationToken ct)
    {
        var found = await CachedAsync("n:" + name, () => store.FindByNameAsync(name, ct)).ConfigureAwait(false);
        if (found is null || !SecretsEqual(found.SecretAccessKey, secret))
        {
            // The key may have been rotated by another process since it was cached: a mismatch asks the store again.
            found = await CachedAsync("n:" + name, () => store.FindByNameAsync(name, ct), refresh: true).ConfigureAwait(false);
        }

        return found is not null && SecretsEqual(found.SecretAccessKey, secret) ? found.User : null;
    }

    /// <summary>
    /// A fresh cache entry for <paramref name="prefix"/> + <paramref name="id"/>, found by a key built on the stack:
    /// every signed or basic-auth request asks, and a hit allocates nothing.
    /// </summary>
    private bool TryCached(string prefix, string id, out UserCredentials? credentials)
    {
        credentials = null;
        if (id.Length > 256)
        {
            return false;
        }

        Span<char> key = stackalloc char[prefix.Length + id.Length];
        prefix.CopyTo(key);
        id.CopyTo(key[prefix.Length..]);
        return TryCached(key, out credentials);
    }

    /// <summary>The cache entry for <paramref name="key"/> if it has not expired.</summary>
    private bool TryCached(ReadOnlySpan<char> key, out UserCredentials? credentials)
    {
        var found = _cache.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out var cached) && cached.Until > time.GetUtcNow();
        credentials = found ? cached!.Credentials : null;
        return found;
    }

    /// <summary>The user whose secret is <paramref name="secret"/> (a bearer token), else null.</summary>
    public async ValueTask<KilnUser?> FindBySecretAsync(string secret, CancellationToken ct = default)
    {
        var digest = box.Digest(secret);
        var found = await CachedAsync("d:" + digest, () => store.FindBySecretDigestAsync(digest, ct)).ConfigureAwait(false);
        return found is not null && SecretsEqual(found.SecretAccessKey, secret) ? found.User : null;
    }

    /// <summary>Compares in time independent of where two secrets differ (their characters, not an encoding of them).</summary>
    public static bool SecretsEqual(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(a.AsSpan()), MemoryMarshal.AsBytes(b.AsSpan()));

    private async ValueTask<UserCredentials?> CachedAsync(string key, Func<Task<StoredUser?>> load, bool refresh = false)
    {
        if (!refresh && TryCached(key, out var cached))
        {
            return cached;
        }

        var now = time.GetUtcNow();
        var stored = await load().ConfigureAwait(false);
        var credentials = stored is null ? null : new UserCredentials(stored.User, box.Decrypt(stored.EncryptedSecret));
        // Unknown keys are cached too (a client retrying a bad key costs no reads), but the cache stays bounded.
        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }

        // Requests overlap: a read that began before a deletion may finish after one that began later and saw it.
        // The entry from the later read wins, and an entry's lifetime counts from when its read began, so what is
        // cached is never older than CacheFor, whatever order the reads finish in.
        var entry = new Cached(credentials, now, now + CacheFor);
        _cache.AddOrUpdate(key, entry, (_, existing) => existing.ReadAt > entry.ReadAt ? existing : entry);
        return credentials;
    }

    /// <summary>20 characters like AWS's (<c>AKIA</c> and 16 base32 characters), so SDKs and tools accept it.</summary>
    private static string NewAccessKeyId() => "AKIA" + RandomNumberGenerator.GetString(KeyIdAlphabet, 16);

    /// <summary>40 characters from AWS's secret alphabet: 238 random bits.</summary>
    private static string NewSecret() => RandomNumberGenerator.GetString(SecretAlphabet, 40);

    private sealed record Cached(UserCredentials? Credentials, DateTimeOffset ReadAt, DateTimeOffset Until);
}
