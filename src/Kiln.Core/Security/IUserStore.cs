namespace Kiln.Core.Security;

/// <summary>Where users and their access keys are kept. Names and access key ids are unique.</summary>
public interface IUserStore
{
    /// <summary>Adds a user; false if the name is taken.</summary>
    Task<bool> CreateAsync(StoredUser user, CancellationToken ct = default);

    Task<StoredUser?> FindByNameAsync(string name, CancellationToken ct = default);

    Task<StoredUser?> FindByAccessKeyAsync(string accessKeyId, CancellationToken ct = default);

    Task<StoredUser?> FindBySecretDigestAsync(string secretDigest, CancellationToken ct = default);

    /// <summary>Every user, by name.</summary>
    Task<IReadOnlyList<KilnUser>> ListAsync(CancellationToken ct = default);

    /// <summary>Replaces a user's access key (id, secret and digest); false if there is no such user.</summary>
    Task<bool> ReplaceKeyAsync(string name, string accessKeyId, byte[] encryptedSecret, string secretDigest, CancellationToken ct = default);

    /// <summary>False if there was no such user.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken ct = default);

    /// <summary>
    /// Makes a user an admin or takes it away; false if there is no such user. The default replaces the user's row
    /// (not atomic); stores override it with an update.
    /// </summary>
    async Task<bool> SetAdminAsync(string name, bool isAdmin, CancellationToken ct = default)
    {
        var stored = await FindByNameAsync(name, ct).ConfigureAwait(false);
        if (stored is null || !await DeleteAsync(name, ct).ConfigureAwait(false))
        {
            return false;
        }

        return await CreateAsync(stored with { User = stored.User with { IsAdmin = isAdmin } }, ct).ConfigureAwait(false);
    }
}
