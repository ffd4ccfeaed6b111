namespace Kiln.Core.Security;

/// <summary>
/// Someone who may call Kiln when authentication is on: a name, the rights that are not per-resource (admin, running
/// code), and one access key. The key's secret is not part of the user: it is shown once and kept encrypted.
/// </summary>
public sealed record KilnUser(string Name, bool IsAdmin, bool CanRunCode, string AccessKeyId, DateTimeOffset Created)
{
    /// <summary>Admins hold every right, running code included.</summary>
    public bool MayRunCode => IsAdmin || CanRunCode;
}

/// <summary>A user as stored: the secret encrypted (for SigV4, which needs it) and a keyed digest of it (to find a bearer token's user).</summary>
public sealed record StoredUser(KilnUser User, byte[] EncryptedSecret, string SecretDigest);

/// <summary>A user with the secret of their access key, as <c>users create</c> and <c>rotate-key</c> hand it out (once).</summary>
public sealed record UserCredentials(KilnUser User, string SecretAccessKey);

/// <summary>Who a request comes from once its credentials are verified; <see cref="Anonymous"/> when authentication is off.</summary>
public sealed record KilnCaller(string Name, bool IsAdmin, bool CanRunCode, string? AccessKeyId)
{
    public static readonly KilnCaller Anonymous = new("anonymous", IsAdmin: true, CanRunCode: true, AccessKeyId: null);

    public static KilnCaller Of(KilnUser user) => new(user.Name, user.IsAdmin, user.MayRunCode, user.AccessKeyId);
}
